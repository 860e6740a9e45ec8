"""The core's sign-in answers, in a module that imports nothing.

The login screen compares the message of a refused sign-in with these to say it in the interface language; it
is drawn before anything else, so it must not import the services (and with them SQLAlchemy's ORM) to do so.
"""

from __future__ import annotations

WRONG_CREDENTIALS = "Неверное имя входа или пароль"
LOCKED = ("Учётная запись временно заблокирована после неудачных попыток входа; попробуйте позже или обратитесь "
          "к администратору")
DISABLED = "Учётная запись отключена; обратитесь к администратору"

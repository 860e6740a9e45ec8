"""Commands about user accounts: user add, list, show, lock, unlock, reset, roles, and password (one's own).

Secrets come from hidden prompts, or with --password-stdin one line each in the order the command asks:
the operator's own password first (signing in with --user), then the new password (`user add`, `user
password`), then the operator's password again where a role changes (`user add --role`, `user roles
--grant/--revoke`).
"""

from __future__ import annotations

import argparse
from datetime import datetime

from zhurnal.core.permissions import ROLES
from zhurnal.tui.cli import EXIT_OK, Context, positive

CONFIRM_PROMPT = "Смена ролей: повторите свой пароль: "
PAGE = 500


def _when(moment: datetime | None, never: str = "никогда") -> str:
    return moment.astimezone().strftime("%d.%m.%Y %H:%M") if moment else never


def _roles(roles: tuple[str, ...]) -> str:
    return ", ".join(roles) or "нет ролей"


def cmd_user_add(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    login = ctx.args.login
    roles = ctx.args.role or []
    password = None if ctx.args.no_password else ctx.read_password(f"Пароль для {login}: ", confirm=True)
    confirmed = ctx.read_password(CONFIRM_PROMPT) if roles else None
    detail = UserService(ctx.store).add(actor, login, person_id=ctx.args.person, roles=roles, password=password,
                                        temporary=ctx.args.temporary, confirmed_password=confirmed)
    ctx.print(f"Учётная запись {detail.login} создана (№ {detail.id}), роли: {_roles(detail.roles)}")
    if not detail.has_password:
        ctx.print("Пароля нет: выдайте код входа (zhurnal codes), по нему человек задаст свой пароль")
    elif detail.must_change_password:
        ctx.print("Пароль временный: его нужно сменить при первом входе")
    return EXIT_OK


def cmd_user_list(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    days = ctx.args.never_used
    if days == -1:  # --never-used without a number: the school's setting
        from zhurnal.core.services.settings import SettingsService

        days = SettingsService(ctx.store).get_all(actor).inactive_account_days
    active = False if ctx.args.disabled else (True if days is not None else None)
    users = UserService(ctx.store)
    after: str | None = None
    while True:
        page = users.list(actor, role=ctx.args.role, active=active, never_used_days=days, after_login=after,
                          limit=PAGE)
        for row in page.rows:
            state = "отключена" if not row.active else "заблокирована" if row.locked else "активна"
            ctx.print(f"{row.login}\t{row.full_name or ''}\t{_roles(row.roles)}\t{state}\t"
                      f"{_when(row.last_login_at)}")
        if page.next_after is None:
            return EXIT_OK
        after = page.next_after


def cmd_user_show(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    d = UserService(ctx.store).show(actor, ctx.args.login)
    state = "активна" if d.active else "отключена"
    if d.locked_until:
        state += f", заблокирована до {_when(d.locked_until)} после неудачных попыток входа"
    lines = [
        ("Имя входа", f"{d.login} (№ {d.id})"),
        ("Человек", f"{d.full_name} (№ {d.person_id})" if d.person_id else "не связана с человеком"),
        ("Роли", _roles(d.roles)),
        ("Состояние", state),
        ("Пароль", ("задан" + (", временный — сменить при входе" if d.must_change_password else ""))
         if d.has_password else "не задан — ждёт кода входа"),
        ("Последний вход", _when(d.last_login_at)),
        ("Создана", _when(d.created_at)),
        ("Неудачных попыток сейчас", str(d.recent_failures)),
        ("Событий входа за 30 дней", str(d.recent_auth_events)),
    ]
    for label, value in lines:
        ctx.print(f"{label}: {value}")
    return EXIT_OK


def cmd_user_lock(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    state = UserService(ctx.store).lock(actor, ctx.args.login)
    ctx.print(f"Учётная запись {state.login} отключена" if state.changed
              else f"Учётная запись {state.login} уже была отключена")
    return EXIT_OK


def cmd_user_unlock(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    state = UserService(ctx.store).unlock(actor, ctx.args.login)
    ctx.print(f"Учётная запись {state.login} включена, счётчик неудачных входов сброшен")
    return EXIT_OK


def cmd_user_disable_due(ctx: Context) -> int:
    """Cron, daily: disable the accounts of people whose last day (departure, dismissal) has come."""
    from zhurnal.core.services.staff import StaffService

    actor = ctx.actor()
    disabled = StaffService(ctx.store).deactivate_due_accounts(actor)
    for account in disabled:
        ctx.print(f"Отключена учётная запись {account.login}")
    ctx.print(f"Отключено учётных записей: {len(disabled)}")
    return EXIT_OK


def cmd_user_reset(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    result = UserService(ctx.store).reset(actor, ctx.args.login)
    ctx.print(f"Временный пароль для {result.login} (показан один раз; при входе его нужно сменить): "
              f"{result.password}")
    return EXIT_OK


def cmd_user_roles(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor()
    users = UserService(ctx.store)
    grant, revoke = ctx.args.grant or [], ctx.args.revoke or []
    if not grant and not revoke:
        ctx.print(f"{ctx.args.login}: {_roles(users.roles_of(actor, ctx.args.login))}")
        return EXIT_OK
    confirmed = ctx.read_password(CONFIRM_PROMPT)
    change = users.change_roles(actor, ctx.args.login, grant=grant, revoke=revoke, confirmed_password=confirmed)
    if change.granted:
        ctx.print(f"Выданы роли: {', '.join(change.granted)}")
    if change.revoked:
        ctx.print(f"Сняты роли: {', '.join(change.revoked)}")
    if not change.granted and not change.revoked:
        ctx.print("Ничего не изменилось: роли уже такие")
    ctx.print(f"{change.login}: {_roles(change.roles)}")
    return EXIT_OK


def cmd_user_password(ctx: Context) -> int:
    from zhurnal.core.services.users import UserService

    actor = ctx.actor(password_change=True)
    old = ctx.signed_in_password
    if old is None:  # signed in by the peer mapping: no password typed yet
        old = ctx.read_password("Текущий пароль: ")
    new = ctx.read_password("Новый пароль: ", confirm=True)
    UserService(ctx.store).change_password(actor, old, new)
    ctx.print(f"Пароль учётной записи {actor.login} сменён")
    return EXIT_OK


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("нужно целое число не меньше нуля")
    return number


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="учётные записи: создать, список, блокировка, сброс пароля, роли")
    user_commands = user.add_subparsers(title="команды", metavar="COMMAND", required=True)
    role_names = list(ROLES)

    add = user_commands.add_parser("add", help="создать учётную запись")
    add.add_argument("login", metavar="LOGIN")
    add.add_argument("--person", type=positive, metavar="ID", help="номер человека, чья это учётная запись")
    add.add_argument("--role", action="append", choices=role_names, metavar="ROLE",
                     help=f"роль в школе (можно несколько раз): {', '.join(role_names)}")
    add.add_argument("--temporary", action="store_true", help="пароль временный: сменить при первом входе")
    add.add_argument("--no-password", action="store_true", help="без пароля: учётную запись откроет код входа")
    add.set_defaults(handler=cmd_user_add)

    listing = user_commands.add_parser("list", help="список учётных записей школы")
    listing.add_argument("--role", choices=role_names, metavar="ROLE")
    listing.add_argument("--never-used", nargs="?", const=-1, type=_non_negative, metavar="DAYS",
                         help="активные записи без единого входа, созданные не меньше DAYS дней назад "
                              "(по умолчанию — настройка inactive_account_days)")
    listing.add_argument("--disabled", action="store_true", help="только отключённые")
    listing.set_defaults(handler=cmd_user_list)

    show = user_commands.add_parser("show", help="учётная запись подробно")
    show.add_argument("login", metavar="LOGIN")
    show.set_defaults(handler=cmd_user_show)

    lock = user_commands.add_parser("lock", help="отключить учётную запись")
    lock.add_argument("login", metavar="LOGIN")
    lock.set_defaults(handler=cmd_user_lock)

    unlock = user_commands.add_parser("unlock", help="снять блокировку после неудачных входов и включить")
    unlock.add_argument("login", metavar="LOGIN")
    unlock.set_defaults(handler=cmd_user_unlock)

    reset = user_commands.add_parser("reset", help="выдать временный пароль (сменить при входе)")
    reset.add_argument("login", metavar="LOGIN")
    reset.set_defaults(handler=cmd_user_reset)

    roles = user_commands.add_parser("roles", help="роли учётной записи: показать, выдать, снять")
    roles.add_argument("login", metavar="LOGIN")
    roles.add_argument("--grant", action="append", choices=role_names, metavar="ROLE")
    roles.add_argument("--revoke", action="append", choices=role_names, metavar="ROLE")
    roles.set_defaults(handler=cmd_user_roles)

    due = user_commands.add_parser("disable-due", help="отключить записи выбывших и уволенных, чей последний "
                                   "день наступил (для cron, раз в день)")
    due.set_defaults(handler=cmd_user_disable_due)

    password = user_commands.add_parser("password", help="сменить свой пароль (временный — обязательно)")
    password.set_defaults(handler=cmd_user_password)

"""Password hashing with Argon2id (64 MiB, t=3, p=1) as PHC strings, and the password policy."""

from __future__ import annotations

import functools
import secrets
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from zhurnal.core.validation import fold

MEMORY_KIB = 64 * 1024
TIME_COST = 3
PARALLELISM = 1
MIN_LENGTH = 12
MIN_LENGTH_ADMIN = 15
MAX_LENGTH = 256

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM,
                         hash_len=32, salt_len=16, type=Type.ID)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(phc: str | None, password: str) -> bool:
    """True when `password` matches; a missing or malformed hash never matches."""
    if not phc:
        return False
    try:
        return _hasher.verify(phc, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(phc: str) -> bool:
    """True when the stored hash used weaker parameters than today's."""
    return _hasher.check_needs_rehash(phc)


@functools.cache
def dummy_hash() -> str:
    """A hash of a random secret: an unknown login is checked against it, so it costs the same time."""
    return hash_password(secrets.token_urlsafe(24))


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("zhurnal.core.data").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def password_problems(password: str, *, login: str, school_name: str | None = None,
                      is_admin: bool = False) -> list[str]:
    """Reasons the password is refused (empty when acceptable). No composition rules, by design."""
    problems: list[str] = []
    minimum = MIN_LENGTH_ADMIN if is_admin else MIN_LENGTH
    if len(password) < minimum:
        problems.append(f"Пароль: не короче {minimum} символов")
    if len(password) > MAX_LENGTH:
        problems.append(f"Пароль: не длиннее {MAX_LENGTH} символов")
    folded = fold(password)
    if password.casefold() in _common_passwords():
        problems.append("Пароль: слишком распространённый, его подбирают первым")
    if login and fold(login) in folded:
        problems.append("Пароль: не должен содержать имя входа")
    if school_name and len(school_name) >= 4 and fold(school_name) in folded:
        problems.append("Пароль: не должен содержать название школы")
    return problems

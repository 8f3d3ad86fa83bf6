"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()  # replaced by configure() with the app's cost settings


def configure(config: dict) -> None:
    global _hasher
    _hasher = PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A well-formed hash of a random password: verified against when the username is unknown,
# so a wrong username takes as long as a wrong password.
@cache
def dummy_hash() -> str:
    return _hasher.hash("not a password of anyone")


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"
    words = (line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


_DECORATION = re.compile(r"[\d\W_]+$")


def _is_common(password: str) -> bool:
    """In the list as it is, or once trailing digits and symbols ("Password@2026") are taken off."""
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        return True
    stem = _DECORATION.sub("", lowered)
    if stem and stem in common:
        return True
    # One character repeated, or a run of the keyboard's digits.
    return len(set(lowered)) <= 2 or lowered in "12345678901234567890" or lowered in "09876543210987654321"


def password_problems(password: str, username: str, min_length: int) -> list[str]:
    """What is wrong with a new password, in words for the user; empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(_("密码至少需要 %(n)d 个字符。", n=min_length))
    if len(password) > 128:
        problems.append(_("密码不能超过 128 个字符。"))
    if username and username.lower() in password.lower():
        problems.append(_("密码不能包含用户名。"))
    if _is_common(password):
        problems.append(_("这个密码过于常见，很容易被猜中，请换一个。"))
    return problems

"""Passwords (argon2id), tokens and CSRF values.

A token is 32 random bytes shown to its holder once; the database keeps only its SHA-256,
so a leaked database holds no usable token. Browser sessions are tokens too, carried in an
HttpOnly cookie, with a CSRF value the page must echo in a header on every change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from synthera.errors import ParameterError

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verified when the user does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ParameterError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))

"""User accounts and their tokens: shared by the sign-in routes and `synthera users`."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from synthera.errors import ParameterError
from synthera.server.security import hash_password, new_token, token_hash, verify_password
from synthera.server.tables import AuthToken, User, utcnow

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def create_user(session: Session, username: str, password: str, *, is_admin: bool) -> User:
    if not USERNAME.match(username):
        raise ParameterError(
            "a user name is 1 to 64 letters, digits or _ . @ - and starts with a letter or digit"
        )
    taken = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise ParameterError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok and user is not None else None


def issue_token(session: Session, user: User, kind: str, days: int, csrf: str | None = None) -> str:
    """A new token for `user`; only its hash is stored. Expired tokens are swept here."""
    now = utcnow()
    session.execute(delete(AuthToken).where(AuthToken.expires_at < now))
    token = new_token()
    session.add(
        AuthToken(
            token_hash=token_hash(token),
            user_id=user.id,
            kind=kind,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


def lookup_token(session: Session, token: str) -> tuple[User, AuthToken] | None:
    row = session.get(AuthToken, token_hash(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return (user, row) if user is not None else None


def revoke_token(session: Session, token: str) -> None:
    session.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))

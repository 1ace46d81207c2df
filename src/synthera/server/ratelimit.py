"""Sign-in rate limiting: too many failures for one name from one address → wait.

Failures are rows in the database, so every server process (and every server sharing a
Postgres database) counts the same ones: more workers or a restart buy a guesser nothing.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from synthera.server.database import session_scope
from synthera.server.tables import SigninFailure, utcnow


def failure_key(address: str, username: str) -> str:
    return hashlib.sha256(f"{address}\0{username.lower()}".encode()).hexdigest()


class SigninLimiter:
    def __init__(self, factory: sessionmaker[Session], attempts: int, window_s: float) -> None:
        self.factory = factory
        self.attempts = attempts
        self.window = timedelta(seconds=window_s)

    def retry_after(self, address: str, username: str) -> int:
        """Seconds to wait before trying again; 0 when a try is allowed now."""
        now = utcnow()
        with self.factory() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(SigninFailure.failed_at)).where(
                    SigninFailure.key == failure_key(address, username),
                    SigninFailure.failed_at > now - self.window,
                )
            ).one()
        if count < self.attempts or oldest is None:
            return 0
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        return max(1, int((oldest + self.window - now).total_seconds()) + 1)

    def failed(self, address: str, username: str) -> None:
        now = utcnow()
        with session_scope(self.factory) as session:
            # Failures older than the window count for nothing: sweep them here.
            session.execute(
                delete(SigninFailure).where(SigninFailure.failed_at <= now - self.window)
            )
            session.add(SigninFailure(key=failure_key(address, username), failed_at=now))

    def succeeded(self, address: str, username: str) -> None:
        with session_scope(self.factory) as session:
            key = failure_key(address, username)
            session.execute(delete(SigninFailure).where(SigninFailure.key == key))

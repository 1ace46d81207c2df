"""What every request can reach: settings, database sessions, storage and the job backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from synthera.server.config import Settings
from synthera.server.jobs.backend import JobBackend
from synthera.server.ratelimit import SigninLimiter
from synthera.server.storage import Storage


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    storage: Storage
    backend: JobBackend
    limiter: SigninLimiter
    setup_token: str | None = field(default=None)  # while no user exists


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def db_session(request: Request) -> Iterator[Session]:
    """A session per request; routes commit what they change."""
    session = app_context(request).factory()
    try:
        yield session
    finally:
        session.close()

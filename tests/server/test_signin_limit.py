"""The sign-in rate limit holds across server processes: failures live in the database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from synthera.server.app import create_app
from synthera.server.config import Settings
from synthera.server.database import make_engine, make_sessionmaker
from synthera.server.ratelimit import SigninLimiter
from synthera.server.tables import SigninFailure
from tests.server.conftest import PASSWORD, REPO, Server

TOKEN = "/api/v1/auth/token"
BAD = {"username": "alice", "password": "wrong password"}


class IdleBackend:
    """A second server process in these tests only answers requests; jobs are not its part."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wake(self) -> None: ...


@pytest.fixture
def second_server(server: Server) -> Iterator[TestClient]:
    """Another app on the same database and data folder, with its own engine: as a second
    uvicorn worker or a second machine behind a load balancer would be."""
    app = create_app(server.settings, backend=lambda settings, context: IdleBackend())
    with TestClient(app) as client:
        yield client


def record_failures_in_another_process(settings: Settings, count: int, address: str) -> None:
    script = textwrap.dedent(
        f"""
        from synthera.server.database import make_engine, make_sessionmaker
        from synthera.server.ratelimit import SigninLimiter
        engine = make_engine({settings.database_url!r})
        limiter = SigninLimiter(make_sessionmaker(engine), 3, 300)
        for _ in range({count}):
            limiter.failed({address!r}, "ALICE")
        engine.dispose()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=60)


def test_failures_in_one_process_lock_out_the_others(
    server: Server, alice: dict[str, str], second_server: TestClient
) -> None:
    assert server.settings.signin_attempts == 3
    # Two failures recorded by another OS process (the names match in any case) ...
    record_failures_in_another_process(server.settings, 2, address="testclient")
    # ... and one through the first server reach the limit ...
    assert server.client.post(TOKEN, data=BAD).status_code == 401
    # ... so the second server refuses even the right password.
    response = second_server.post(TOKEN, data={**BAD, "password": PASSWORD})
    assert response.status_code == 429
    assert 290 <= int(response.headers["retry-after"]) <= 301
    assert "try again in" in response.json()["detail"]
    assert server.client.post(TOKEN, data=BAD).status_code == 429


def test_a_success_clears_the_failures_everywhere(
    server: Server, alice: dict[str, str], second_server: TestClient
) -> None:
    for _ in range(2):
        assert second_server.post(TOKEN, data=BAD).status_code == 401
    assert server.client.post(TOKEN, data={**BAD, "password": PASSWORD}).status_code == 200
    for _ in range(2):  # counting starts again: two more are still allowed
        assert second_server.post(TOKEN, data=BAD).status_code == 401
    assert server.client.post(TOKEN, data=BAD).status_code == 401
    assert server.client.post(TOKEN, data=BAD).status_code == 429


def test_failures_expire_with_their_window_and_are_swept(server: Server) -> None:
    engine = make_engine(server.settings.database_url)
    factory = make_sessionmaker(engine)
    try:
        limiter = SigninLimiter(factory, attempts=2, window_s=0.5)
        limiter.failed("10.0.0.1", "eve")
        limiter.failed("10.0.0.1", "eve")
        assert limiter.retry_after("10.0.0.1", "eve") == 1
        assert limiter.retry_after("10.0.0.2", "eve") == 0  # another address is not locked
        assert limiter.retry_after("10.0.0.1", "mallory") == 0  # nor another name
        time.sleep(0.6)
        assert limiter.retry_after("10.0.0.1", "eve") == 0
        limiter.failed("10.0.0.1", "eve")  # a new failure sweeps the expired ones
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(SigninFailure)) == 1
            stored = session.scalars(select(SigninFailure.key)).all()
        assert all("eve" not in key for key in stored)  # only a hash of the name
    finally:
        engine.dispose()

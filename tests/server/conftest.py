"""Fixtures for the server tests: a fresh app per test, on SQLite and (when configured) Postgres.

Postgres tests run when SYNTHERA_TEST_POSTGRES_URL names a database the tests may use
(`scripts/ci_postgres.sh` makes one); each test gets its own schema there, so parallel
test workers never meet.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from synthera.server.accounts import create_user
from synthera.server.app import create_app
from synthera.server.config import Settings
from synthera.server.database import normalise_url, session_scope

REPO = Path(__file__).resolve().parents[2]
PLUGINS = "tests.server.plugins"
POSTGRES_URL = os.environ.get("SYNTHERA_TEST_POSTGRES_URL", "")
PASSWORD = "correct horse battery"

CITIES = ["Oslo", "Lima", "Pune"]
CSV = "age,city,score,member\n" + "\n".join(
    f"{20 + i % 50},{CITIES[i % 3]},{(i * 37) % 101 / 10},{'yes' if i % 4 else 'no'}"
    for i in range(120)
)


@pytest.fixture(autouse=True)
def _workers_import_test_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes import tests.server.plugins, so they need the repository on the path."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", f"{REPO}{os.pathsep}{path}" if path else str(REPO))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'synthera.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("set SYNTHERA_TEST_POSTGRES_URL to run the Postgres tests")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    options: dict[str, Any] = {
        "max_upload_bytes": 64 * 1024,
        "max_rows": 5_000,
        "max_columns": 40,
        "plugins": (PLUGINS,),
        "evaluator": f"{PLUGINS}:evaluate",
        "signin_attempts": 3,
        "heartbeat_timeout_s": 30,
    }
    options.update(overrides)
    return Settings(data_dir=data_dir, database_url=database_url, **options)


@dataclass
class Server:
    """A running app and helpers to act as its users."""

    client: TestClient
    settings: Settings

    @property
    def context(self) -> Any:
        return self.client.app.state.context  # type: ignore[attr-defined]

    def add_user(self, name: str, *, admin: bool = False) -> dict[str, str]:
        """Create a user and return bearer headers for them."""
        with session_scope(self.context.factory) as session:
            create_user(session, name, PASSWORD, is_admin=admin)
        self.context.setup_token = None
        response = self.client.post(
            "/api/v1/auth/token", data={"username": name, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def upload(
        self, headers: dict[str, str], content: bytes | str = CSV, name: str = "people.csv"
    ) -> str:
        data = content.encode() if isinstance(content, str) else content
        response = self.client.post(
            "/api/v1/datasets", files={"file": (name, data)}, headers=headers
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def wait(self, headers: dict[str, str], job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
            if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
                return dict(job)
            time.sleep(0.2)

    def train(
        self,
        headers: dict[str, str],
        dataset_id: str,
        model: str = "gaussian_copula",
        **params: Any,
    ) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/runs",
            json={"dataset_id": dataset_id, "synthesizer": model, "params": params, "seed": 1},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


def start_server(settings: Settings) -> Iterator[Server]:
    with TestClient(create_app(settings)) as client:
        yield Server(client, settings)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    yield from start_server(make_settings(tmp_path / "data", database_url))


@pytest.fixture
def alice(server: Server) -> dict[str, str]:
    return server.add_user("alice", admin=True)


@pytest.fixture
def bob(server: Server) -> dict[str, str]:
    return server.add_user("bob")

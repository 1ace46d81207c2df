"""`synthera users` and `synthera serve`, as a person runs them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from synthera.cli import app

runner = CliRunner()


def test_users_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ["users", "create", "alice", "--admin", "--password-stdin", "--data-dir", str(data)]
    result = runner.invoke(app, args, input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "created admin alice" in result.stderr
    again = runner.invoke(app, args, input="a long password\n")
    assert again.exit_code == 1 and "user 'alice' already exists" in again.stderr
    short = runner.invoke(
        app, ["users", "create", "bob", "--password-stdin", "--data-dir", str(data)], input="x\n"
    )
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    listed = runner.invoke(app, ["users", "list", "--data-dir", str(data)])
    assert listed.stdout.split() == ["alice", "admin"]


def test_serve_says_which_extra_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "pip install 'synthera[server]'" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_prints_a_setup_link_serves_the_api_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHERA_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synthera",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if "/setup?token=" in line:
                break
        link = re.search(r"http://127\.0\.0\.1:\d+/setup\?token=(\S+)", "".join(lines))
        assert link, lines
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/api/v1/health").json()["needs_setup"] is True
        body = {"token": link.group(1), "username": "admin", "password": "a long password"}
        assert httpx.post(f"{base}/api/v1/auth/setup", json=body).status_code == 201
        assert httpx.get(f"{base}/api/v1/datasets").status_code == 401
        page = httpx.get(f"{base}/datasets/anything")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/")
        assert (tmp_path / "synthera.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()

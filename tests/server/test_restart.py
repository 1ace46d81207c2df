"""Jobs and uploads survive restarts; a killed worker fails its job with the reason."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from sqlalchemy import update

from synthera.server.database import session_scope
from synthera.server.jobs.local import HOST
from synthera.server.tables import Job
from tests.server.conftest import CSV, Server, make_settings, start_server


def wait_for_stage(server: Server, headers: dict[str, str], job_id: str, stage: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        job = server.client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["progress"].get("stage") == stage:
            return
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def test_a_killed_worker_fails_its_job_with_the_reason_and_retry_succeeds(
    server: Server, alice: dict[str, str]
) -> None:
    dataset_id = server.upload(alice)
    run = server.train(alice, dataset_id, "slow_test_model", steps=12, step_seconds=0.1)
    job_id = run["job"]["id"]
    wait_for_stage(server, alice, job_id, "epoch")
    pid = server.context.backend.running[job_id]
    os.kill(pid, signal.SIGKILL)
    job = server.wait(alice, job_id)
    assert job["status"] == "failed"
    assert job["error"] == (
        "the worker process was killed by SIGKILL (out of memory?) before it finished; "
        "retry the job"
    )
    response = server.client.post(f"/api/v1/jobs/{job_id}/retry", headers=alice)
    assert response.status_code == 200
    job = server.wait(alice, job_id)
    assert job["status"] == "succeeded" and job["attempts"] == 2
    assert server.client.get(f"/api/v1/runs/{run['id']}/model.zip", headers=alice).is_success


def test_stopping_the_server_requeues_jobs_and_keeps_uploads(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    first = start_server(settings)
    server = next(first)
    alice = server.add_user("alice")
    dataset_id = server.upload(alice)
    slow = server.train(alice, dataset_id, "slow_test_model", steps=30, step_seconds=0.1)
    queued = server.train(alice, dataset_id)
    wait_for_stage(server, alice, slow["job"]["id"], "epoch")
    next(first, None)  # the server stops: its worker is stopped, both jobs wait in the queue

    second = start_server(settings)
    server = next(second)
    token = server.client.post(
        "/api/v1/auth/token", data={"username": "alice", "password": "correct horse battery"}
    )
    alice = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for run in (slow, queued):
        job = server.wait(alice, run["job"]["id"], timeout=90)
        assert job["status"] == "succeeded", job
    slow_job = server.client.get(f"/api/v1/jobs/{slow['job']['id']}", headers=alice).json()
    assert "the server stopped; job queued again" in slow_job["log"]
    download = server.client.get(f"/api/v1/datasets/{dataset_id}/file", headers=alice)
    assert download.content == CSV.encode()
    next(second, None)


def test_a_job_whose_worker_vanished_with_the_server_fails_at_start(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    first = start_server(settings)
    server = next(first)
    alice = server.add_user("alice")
    run = server.train(alice, server.upload(alice))
    assert server.wait(alice, run["job"]["id"])["status"] == "succeeded"
    next(first, None)
    # As if the server and its worker had been killed mid-job (power cut, SIGKILL).
    second = start_server(settings)
    server = next(second)
    factory = server.context.factory
    server.context.backend.stop()  # hold the dispatcher while we fake the lost job
    with session_scope(factory) as session:
        session.execute(
            update(Job)
            .where(Job.id == run["job"]["id"])
            .values(status="running", worker=f"{HOST}:999999999")
        )
    server.context.backend.tick()
    token = server.client.post(
        "/api/v1/auth/token", data={"username": "alice", "password": "correct horse battery"}
    )
    alice = {"Authorization": f"Bearer {token.json()['access_token']}"}
    job = server.client.get(f"/api/v1/jobs/{run['job']['id']}", headers=alice).json()
    assert job["status"] == "failed"
    assert job["error"] == (
        f"its worker ({HOST}:999999999) is gone: the server stopped while it ran; retry the job"
    )
    next(second, None)

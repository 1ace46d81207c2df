"""Training, generating, evaluating and downloading through jobs; cancel; isolation."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pandas as pd
import pytest

from tests.server.conftest import Server


@pytest.fixture
def pipeline(server: Server, alice: dict[str, str]) -> dict[str, Any]:
    """Alice's dataset → run → synthetic table → evaluation, all finished."""
    client = server.client
    dataset_id = server.upload(alice)
    schema = client.get(f"/api/v1/datasets/{dataset_id}", headers=alice).json()["schema"]
    schema.update(target="member", sensitive=["city"])
    assert client.put(
        f"/api/v1/datasets/{dataset_id}/schema", json=schema, headers=alice
    ).is_success
    run = server.train(alice, dataset_id)
    assert server.wait(alice, run["job"]["id"])["status"] == "succeeded"
    table = client.post(
        "/api/v1/synthetic-tables",
        json={"run_id": run["id"], "n_rows": 200, "seed": 3},
        headers=alice,
    ).json()
    assert server.wait(alice, table["job"]["id"])["status"] == "succeeded"
    evaluation = client.post(
        "/api/v1/evaluations", json={"synthetic_id": table["id"]}, headers=alice
    ).json()
    assert server.wait(alice, evaluation["job"]["id"])["status"] == "succeeded"
    return {
        "dataset": dataset_id,
        "run": run["id"],
        "table": table["id"],
        "evaluation": evaluation["id"],
        "jobs": [run["job"]["id"], table["job"]["id"], evaluation["job"]["id"]],
    }


def test_train_generate_evaluate_download(
    server: Server, alice: dict[str, str], pipeline: dict[str, Any]
) -> None:
    client = server.client
    run = client.get(f"/api/v1/runs/{pipeline['run']}", headers=alice).json()
    assert run["synthesizer"] == "gaussian_copula" and run["fit_seconds"] is not None
    job = client.get(f"/api/v1/jobs/{run['job']['id']}", headers=alice).json()
    assert job["progress"]["stage"] == "fit" and job["progress"]["done"] == job["progress"]["total"]
    assert "fitting gaussian_copula on 96 rows" in job["log"]

    table_url = f"/api/v1/synthetic-tables/{pipeline['table']}"
    preview = client.get(f"{table_url}/preview?rows=5", headers=alice).json()
    assert preview["n_rows"] == 200 and preview["columns"] == ["age", "city", "score", "member"]
    as_csv = client.get(f"{table_url}/download", headers=alice)
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = pd.read_csv(io.BytesIO(as_csv.content))
    as_parquet = client.get(f"{table_url}/download?format=parquet", headers=alice)
    assert as_parquet.content.startswith(b"PAR1")
    assert len(rows) == len(pd.read_parquet(io.BytesIO(as_parquet.content))) == 200

    report = client.get(f"/api/v1/evaluations/{pipeline['evaluation']}/report", headers=alice)
    body = report.json()
    assert [card["family"] for card in body["scorecard"]] == ["fidelity", "privacy"]
    assert body["settings"] == {"target": "member", "sensitive": ["city"]}
    assert body["tables"]["holdout_rows"] == 24  # the holdout kept aside at upload
    page = client.get(f"/api/v1/evaluations/{pipeline['evaluation']}/report.html", headers=alice)
    assert page.headers["content-type"].startswith("text/html") and "<table>" in page.text
    attachment = client.get(
        f"/api/v1/evaluations/{pipeline['evaluation']}/report.html?download=true", headers=alice
    )
    assert attachment.headers["content-disposition"].startswith("attachment")

    model = client.get(f"/api/v1/runs/{pipeline['run']}/model.zip", headers=alice)
    names = set(zipfile.ZipFile(io.BytesIO(model.content)).namelist())
    assert {"model.json", "weights.safetensors"} <= names

    listed = {
        "runs": client.get(f"/api/v1/runs?dataset_id={pipeline['dataset']}", headers=alice),
        "synthetic-tables": client.get("/api/v1/synthetic-tables", headers=alice),
        "evaluations": client.get("/api/v1/evaluations", headers=alice),
    }
    assert all(len(r.json()) == 1 for r in listed.values())
    assert len(client.get("/api/v1/jobs", headers=alice).json()) == 3


def test_conditions_and_rebalancing(
    server: Server, alice: dict[str, str], pipeline: dict[str, Any]
) -> None:
    client = server.client

    def generate(**options: Any) -> pd.DataFrame:
        body = {"run_id": pipeline["run"], "n_rows": 90, "seed": 5, **options}
        response = client.post("/api/v1/synthetic-tables", json=body, headers=alice)
        assert response.status_code == 201, response.text
        assert server.wait(alice, response.json()["job"]["id"])["status"] == "succeeded"
        url = f"/api/v1/synthetic-tables/{response.json()['id']}/download"
        return pd.read_csv(io.BytesIO(client.get(url, headers=alice).content))

    assert set(generate(conditions={"city": "Lima"})["city"]) == {"Lima"}
    counts = generate(rebalance="city")["city"].value_counts()
    assert sorted(counts.to_dict().values()) == [30, 30, 30]
    # A chosen class mix: exact counts, a zero weight leaves a class out.
    counts = generate(rebalance="city", ratios={"Oslo": 2, "Lima": 1, "Pune": 0})["city"]
    assert counts.value_counts().to_dict() == {"Oslo": 60, "Lima": 30}
    listed = client.get("/api/v1/synthetic-tables", headers=alice).json()
    assert {"Oslo": 2.0, "Lima": 1.0, "Pune": 0.0} in [t["ratios"] for t in listed]
    for ratios, rebalance, message in [
        ({"Oslo": 1}, None, "ratios need rebalance"),
        ({"Oslo": -1}, "city", "greater than or equal to 0"),
        ({"Oslo": 0, "Lima": 0}, "city", "ratios must not all be zero"),
    ]:
        body = {"run_id": pipeline["run"], "n_rows": 9, "rebalance": rebalance, "ratios": ratios}
        response = client.post("/api/v1/synthetic-tables", json=body, headers=alice)
        assert response.status_code == 422 and message in response.json()["detail"], message
    # A class the model never saw fails the job with the library's message.
    body = {"run_id": pipeline["run"], "n_rows": 9, "rebalance": "city", "ratios": {"Rome": 1}}
    job = client.post("/api/v1/synthetic-tables", json=body, headers=alice).json()["job"]
    failed = server.wait(alice, job["id"])
    assert failed["status"] == "failed"
    assert failed["error"].startswith("ratio given for 'Rome', which is not a class of 'city'")
    bad = client.post(
        "/api/v1/synthetic-tables",
        json={"run_id": pipeline["run"], "n_rows": 5, "conditions": {"planet": "Mars"}},
        headers=alice,
    )
    assert bad.status_code == 422 and "no column 'planet'" in bad.json()["detail"]


def test_event_stream_follows_a_job_to_its_end(server: Server, alice: dict[str, str]) -> None:
    dataset_id = server.upload(alice)
    run = server.train(alice, dataset_id, "slow_test_model", steps=6, step_seconds=0.1)
    events = []
    url = f"/api/v1/jobs/{run['job']['id']}/events"
    with server.client.stream("GET", url, headers=alice) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
    statuses = [e["status"] for e in events]
    assert statuses[0] in ("queued", "running") and statuses[-1] == "succeeded"
    stages = {e["progress"].get("stage") for e in events}
    assert "epoch" in stages
    losses = [e["progress"]["metrics"].get("loss") for e in events if e["progress"].get("metrics")]
    assert losses and all(isinstance(v, float) for v in losses)


def test_cancel_a_running_and_a_queued_job(server: Server, alice: dict[str, str]) -> None:
    dataset_id = server.upload(alice)
    slow = server.train(alice, dataset_id, "slow_test_model", steps=200, step_seconds=0.1)
    queued = server.train(alice, dataset_id)  # one worker at a time: this one waits
    deadline = time.monotonic() + 30
    while (
        server.client.get(f"/api/v1/jobs/{slow['job']['id']}", headers=alice)
        .json()["progress"]
        .get("stage")
        != "epoch"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    response = server.client.post(f"/api/v1/jobs/{queued['job']['id']}/cancel", headers=alice)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    response = server.client.post(f"/api/v1/jobs/{slow['job']['id']}/cancel", headers=alice)
    assert response.status_code == 200 and response.json()["cancel_requested"] is True
    job = server.wait(alice, slow["job"]["id"], timeout=20)
    assert job["status"] == "cancelled"
    assert (
        server.client.get(f"/api/v1/runs/{slow['id']}/model.zip", headers=alice).status_code == 409
    )
    again = server.client.post(f"/api/v1/jobs/{slow['job']['id']}/cancel", headers=alice)
    assert again.status_code == 409
    retried = server.client.post(f"/api/v1/jobs/{queued['job']['id']}/retry", headers=alice)
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert server.wait(alice, queued["job"]["id"])["status"] == "succeeded"


def test_bad_model_requests_get_the_library_message(server: Server, alice: dict[str, str]) -> None:
    dataset_id = server.upload(alice)
    body = {"dataset_id": dataset_id, "synthesizer": "nope", "params": {}}
    response = server.client.post("/api/v1/runs", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("no model named 'nope' (available: ")
    body = {"dataset_id": dataset_id, "synthesizer": "gaussian_copula", "params": {"knots": 3}}
    response = server.client.post("/api/v1/runs", json=body, headers=alice)
    assert response.status_code == 422
    assert "gaussian_copula has no parameter 'knots'" in response.json()["detail"]
    body["params"] = {"max_knots": 1}
    response = server.client.post("/api/v1/runs", json=body, headers=alice)
    assert response.json()["detail"] == "max_knots must be at least 2"


def test_a_failing_fit_fails_its_job_with_the_message(
    server: Server, alice: dict[str, str]
) -> None:
    dataset_id = server.upload(alice)
    run = server.train(alice, dataset_id, "slow_test_model", steps=1, step_seconds="slow")
    job = server.wait(alice, run["job"]["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("unexpected error (TypeError)")


def test_synthesizers_list_their_parameters(server: Server, alice: dict[str, str]) -> None:
    models = {m["name"]: m for m in server.client.get("/api/v1/synthesizers", headers=alice).json()}
    copula = models["gaussian_copula"]
    assert copula["available"] and copula["privacy_param"] is None
    assert {"name": "max_knots", "type": "int", "default": 1000, "required": False} in copula[
        "params"
    ]
    assert models["slow_test_model"]["privacy_param"] == "epsilon"


def test_delete_waits_for_running_jobs(server: Server, alice: dict[str, str]) -> None:
    dataset_id = server.upload(alice)
    run = server.train(alice, dataset_id, "slow_test_model", steps=100, step_seconds=0.05)
    response = server.client.delete(f"/api/v1/datasets/{dataset_id}", headers=alice)
    assert response.status_code == 409 and "cancel it first" in response.json()["detail"]
    server.client.post(f"/api/v1/jobs/{run['job']['id']}/cancel", headers=alice)
    server.wait(alice, run["job"]["id"])
    assert server.client.delete(f"/api/v1/runs/{run['id']}", headers=alice).status_code == 204
    assert server.client.delete(f"/api/v1/datasets/{dataset_id}", headers=alice).status_code == 204


def test_another_user_gets_404_everywhere(
    server: Server, alice: dict[str, str], bob: dict[str, str], pipeline: dict[str, Any]
) -> None:
    client = server.client
    ids = pipeline
    job = ids["jobs"][0]
    requests = [
        ("GET", f"/api/v1/datasets/{ids['dataset']}"),
        ("GET", f"/api/v1/datasets/{ids['dataset']}/preview"),
        ("GET", f"/api/v1/datasets/{ids['dataset']}/file"),
        ("PUT", f"/api/v1/datasets/{ids['dataset']}/schema"),
        ("DELETE", f"/api/v1/datasets/{ids['dataset']}"),
        ("GET", f"/api/v1/runs/{ids['run']}"),
        ("GET", f"/api/v1/runs/{ids['run']}/model.zip"),
        ("DELETE", f"/api/v1/runs/{ids['run']}"),
        ("GET", f"/api/v1/synthetic-tables/{ids['table']}"),
        ("GET", f"/api/v1/synthetic-tables/{ids['table']}/preview"),
        ("GET", f"/api/v1/synthetic-tables/{ids['table']}/download"),
        ("DELETE", f"/api/v1/synthetic-tables/{ids['table']}"),
        ("GET", f"/api/v1/evaluations/{ids['evaluation']}"),
        ("GET", f"/api/v1/evaluations/{ids['evaluation']}/report"),
        ("GET", f"/api/v1/evaluations/{ids['evaluation']}/report.html"),
        ("GET", f"/api/v1/evaluations/{ids['evaluation']}/figures"),
        ("DELETE", f"/api/v1/evaluations/{ids['evaluation']}"),
        ("GET", f"/api/v1/jobs/{job}"),
        ("GET", f"/api/v1/jobs/{job}/events"),
        ("POST", f"/api/v1/jobs/{job}/cancel"),
        ("POST", f"/api/v1/jobs/{job}/retry"),
    ]
    schema = {"columns": [{"name": "age", "kind": "integer"}]}
    for method, url in requests:
        response = client.request(
            method, url, headers=bob, json=schema if method == "PUT" else None
        )
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["detail"].endswith("not found")
    # Bob cannot build on Alice's things either...
    creations = [
        ("/api/v1/runs", {"dataset_id": ids["dataset"], "synthesizer": "gaussian_copula"}),
        ("/api/v1/synthetic-tables", {"run_id": ids["run"], "n_rows": 5}),
        ("/api/v1/evaluations", {"synthetic_id": ids["table"]}),
    ]
    for url, body in creations:
        assert client.post(url, json=body, headers=bob).status_code == 404
    # ... nor see them in any list.
    for url in ["datasets", "runs", "synthetic-tables", "evaluations", "jobs"]:
        assert client.get(f"/api/v1/{url}", headers=bob).json() == []
    assert client.get(f"/api/v1/runs?dataset_id={ids['dataset']}", headers=bob).json() == []
    # Alice still has everything.
    assert client.get(f"/api/v1/datasets/{ids['dataset']}", headers=alice).status_code == 200
    assert len(client.get("/api/v1/jobs", headers=alice).json()) == 3

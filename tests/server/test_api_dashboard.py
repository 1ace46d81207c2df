"""The dashboard's charts: the HTML report's figures, served as Plotly JSON by the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Server, make_settings, start_server


@pytest.fixture
def real_evaluator(tmp_path: Path) -> Iterator[Server]:
    """A server that evaluates with `synthera.evaluate` itself, not the tests' stand-in."""
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 's.db'}", evaluator="synthera:evaluate"
    )
    yield from start_server(settings)


def evaluated(server: Server, headers: dict[str, str]) -> str:
    client = server.client
    dataset = server.upload(headers)
    schema = client.get(f"/api/v1/datasets/{dataset}", headers=headers).json()["schema"]
    schema.update(target="member", sensitive=["city"])
    client.put(f"/api/v1/datasets/{dataset}/schema", json=schema, headers=headers)
    run = server.train(headers, dataset)
    assert server.wait(headers, run["job"]["id"])["status"] == "succeeded"
    body = {"run_id": run["id"], "n_rows": 96, "seed": 2}
    table = client.post("/api/v1/synthetic-tables", json=body, headers=headers).json()
    assert server.wait(headers, table["job"]["id"])["status"] == "succeeded"
    body = {"synthetic_id": table["id"]}
    evaluation = client.post("/api/v1/evaluations", json=body, headers=headers).json()
    job = server.wait(headers, evaluation["job"]["id"], timeout=120)
    assert job["status"] == "succeeded", job
    return str(evaluation["id"])


def test_figures_are_the_reports_charts_as_plotly_json(real_evaluator: Server) -> None:
    server = real_evaluator
    admin = server.add_user("admin", admin=True)
    evaluation = evaluated(server, admin)
    url = f"/api/v1/evaluations/{evaluation}"
    report = server.client.get(f"{url}/report", headers=admin).json()
    # The evaluation job read the run's model: trained without differential privacy.
    assert report["generator"] == "gaussian_copula" and report["privacy"] is None
    response = server.client.get(f"{url}/figures", headers=admin)
    assert response.status_code == 200
    body = response.json()
    figures: list[dict[str, Any]] = body["figures"]
    assert body["template"]["layout"]["plot_bgcolor"] == "white"
    assert {f["section"] for f in figures} == {"fidelity", "utility", "privacy", "fairness"}
    labels = {f["label"] for f in figures}
    for column in ("age", "city", "score", "member"):
        assert f"Distribution of {column}, real and synthetic" in labels
    assert {"dcr", "mia", "groups:city", "cramers_v_difference"} <= {f["group"] for f in figures}
    # The heatmap carries the stored report's own matrix.
    cramers = next(m for m in report["metrics"] if m["name"] == "cramers_v_difference")
    heatmap = next(f for f in figures if f["group"] == "cramers_v_difference")
    assert heatmap["tall"] is True
    assert heatmap["figure"]["data"][0]["type"] == "heatmap"
    assert heatmap["figure"]["data"][0]["z"] == cramers["details"]["real"]
    # An evaluation nobody has is 404, as everywhere.
    assert server.client.get("/api/v1/evaluations/0123/figures", headers=admin).status_code == 404

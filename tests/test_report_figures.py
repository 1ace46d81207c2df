"""The report's charts as figures: the HTML report and the web dashboard draw the same ones."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from synthera.evaluation import evaluate
from synthera.report import Report
from synthera.report.figures import figures_json, report_figures
from tests.evaluation_data import FAST, one_openmp_thread, schema_of, shuffled_columns, tables

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)


@pytest.fixture(scope="module")
def report() -> Report:
    """The synthetic table has every column shuffled on its own, so its associations
    differ from the real ones."""
    train, holdout, fresh = tables(400)
    return evaluate(train, shuffled_columns(fresh), holdout, schema_of(train), seed=1, limits=FAST)


@pytest.fixture(scope="module")
def stored(report: Report) -> dict[str, Any]:
    """The report as the server stores it: `to_dict()` through JSON."""
    return dict(json.loads(report.to_json()))


def metric(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in report["metrics"] if m["name"] == name)


def test_every_part_of_the_report_gets_its_charts(stored: dict[str, Any]) -> None:
    figures = report_figures(stored)
    labels = [f.label for f in figures]
    for column in stored["distributions"]:
        assert f"Distribution of {column}, real and synthetic" in labels
    groups = [f.group for f in figures]
    assert groups.count("cramers_v_difference") == 3 and groups.count("pearson_difference") == 3
    assert {"tstr", "importance", "dcr", "mia", "groups:sex"} <= set(groups)
    assert [f.section for f in figures] == sorted(
        (f.section for f in figures),
        key=["fidelity", "utility", "privacy", "fairness"].index,
    )


def test_heatmaps_hold_the_metric_matrices_and_their_difference(stored: dict[str, Any]) -> None:
    details = metric(stored, "cramers_v_difference")["details"]
    real, synthetic, difference = [
        f.figure for f in report_figures(stored) if f.group == "cramers_v_difference"
    ]
    assert list(real.data[0].z[0]) == details["real"][0]
    assert list(synthetic.data[0].x) == details["columns"]
    i, j = 0, 1
    expected = round(details["synthetic"][i][j] - details["real"][i][j], 4)
    assert difference.data[0].z[i][j] == pytest.approx(expected)
    assert expected != 0  # shuffled columns lose their associations
    assert (difference.data[0].zmin, difference.data[0].zmax) == (-1, 1)


def test_privacy_and_fairness_charts_show_the_metric_details(stored: dict[str, Any]) -> None:
    by_group = {f.group: f.figure for f in report_figures(stored)}
    dcr = metric(stored, "dcr_share")["details"]
    assert list(by_group["dcr"].data[0].y) == dcr["synthetic_to_train"]
    names = [trace.name for trace in by_group["mia"].data]
    auc = metric(stored, "mia_distance_auc")["value"]
    assert any(f"AUC {auc:.3f}" in name for name in names)
    groups = metric(stored, "target_rate_gap")["details"]["groups"]["sex"]
    fairness = by_group["groups:sex"]
    assert [t.name for t in fairness.data] == ["real", "synthetic", "holdout (reference)"]
    assert list(fairness.data[0].y) == [g["real_rate"] for g in groups]
    assert list(fairness.data[1].x) == [str(g["group"]) for g in groups]


def test_the_html_report_draws_exactly_these_figures(
    report: Report, stored: dict[str, Any]
) -> None:
    drawn = re.findall(r'<div class="chart[^"]*" id="chart-\d+"', report.to_html())
    assert len(drawn) == len(report_figures(stored)) > 15


def test_json_for_a_page_sends_the_shared_template_once(stored: dict[str, Any]) -> None:
    payload = figures_json(report_figures(stored))
    text = json.dumps(payload, allow_nan=False)
    assert payload["template"]["layout"]["paper_bgcolor"] == "white"  # plotly_white
    assert all("template" not in f["figure"]["layout"] for f in payload["figures"])
    assert all(f["figure"]["data"] for f in payload["figures"])
    assert text.count('"paper_bgcolor"') == 1


def test_partial_or_skipped_reports_give_fewer_charts_not_errors(stored: dict[str, Any]) -> None:
    assert report_figures({}) == []
    assert figures_json([]) == {"template": None, "figures": []}
    skipped = {
        **stored,
        "distributions": {},
        "metrics": [
            {**m, "value": None, "details": {}} if m["family"] != "fidelity" else m
            for m in stored["metrics"]
        ],
    }
    sections = {f.section for f in report_figures(skipped)}
    assert sections == {"fidelity"}

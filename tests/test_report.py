from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.offline
import pytest

import synthera
from synthera.errors import ColumnNotFoundError, SchemaError
from synthera.evaluation import EvaluationLimits, compare, evaluate
from synthera.report import Report
from tests.evaluation_data import (
    FAST,
    known,
    one_openmp_thread,
    schema_of,
    shuffled_columns,
    tables,
)

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NASTY = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'


@pytest.fixture(scope="module")
def fresh_report() -> Report:
    """A perfect generator: a fresh sample of the same population."""
    train, holdout, fresh = tables()
    return evaluate(train, fresh, holdout, schema_of(train), seed=3, limits=FAST)


def test_evaluate_is_exported_and_gives_every_family(fresh_report: Report) -> None:
    assert synthera.evaluate is evaluate and "evaluate" in synthera.__all__
    assert {m.family for m in fresh_report.metrics} == {
        "fidelity",
        "utility",
        "privacy",
        "fairness",
    }
    assert [s.family for s in fresh_report.scorecard] == [
        "fidelity",
        "utility",
        "privacy",
        "fairness",
    ]
    # every metric that was computed sits beside a reference, or has a fixed ideal
    for m in fresh_report.metrics:
        if m.value is not None and m.name not in {
            "mia_distance_auc",
            "mia_density_auc",
            "augmentation_gain",
        }:
            assert m.reference is not None, m.name


def test_a_perfect_generator_scores_at_reference_level(fresh_report: Report) -> None:
    statuses = {s.family: s.status for s in fresh_report.scorecard}
    assert statuses == dict.fromkeys(statuses, "green"), fresh_report.scorecard
    score = fresh_report.metric("fidelity_score")
    assert score.value is not None and score.reference is not None
    assert abs(score.value - score.reference) < 5


def test_json_holds_every_value_and_its_reference(fresh_report: Report) -> None:
    data = json.loads(fresh_report.to_json())
    names = {m["name"] for m in data["metrics"]}
    assert {"ks", "tvd", "dcr_share", "tstr_roc_auc", "demographic_parity_difference"} <= names
    for m in data["metrics"]:
        assert {"value", "reference", "direction", "ideal", "details"} <= set(m)
    assert data["settings"]["seed"] == 3 and data["scorecard"][0]["status"] == "green"
    assert data["sampling"], "the caps in FAST subsample, and the report must say so"
    assert all({"rows", "of", "seed"} <= set(s) for s in data["sampling"])


def test_without_a_holdout_the_real_table_is_split_and_the_user_told() -> None:
    train, _, fresh = tables()
    report = evaluate(train, fresh, target="high_income", sensitive="sex", limits=FAST)
    assert report.tables["holdout_rows"] == 120 and report.tables["train_rows"] == 480
    assert any("No holdout was given" in n and "stratified" in n for n in report.notes)
    again = evaluate(train, fresh, target="high_income", sensitive="sex", limits=FAST)
    first, second = report.to_dict(), again.to_dict()
    first.pop("timings"), second.pop("timings")
    assert first == second  # seeded: same numbers every time


def test_a_copy_of_train_is_red_on_privacy() -> None:
    train, holdout, _ = tables()
    report = evaluate(train, train.copy(), holdout, schema_of(train), limits=FAST)
    assert report.score("privacy").status == "red"
    assert report.metric("exact_copies").value == 1.0
    assert known(report.metric("dcr_share").value) > 0.95


def test_a_dropped_category_is_flagged_in_the_scorecard() -> None:
    train, holdout, fresh = tables()
    collapsed = fresh.assign(region=fresh["region"].replace({"north": "south"}))
    report = evaluate(train, collapsed, holdout, schema_of(train), limits=FAST)
    card = report.score("fidelity")
    assert card.status in ("amber", "red")
    assert any("region" in r and "north" in r for r in card.reasons)
    assert "Categories the generator dropped" in report.to_html()


def test_a_synthetic_target_with_one_class_fails_utility_instead_of_skipping_it() -> None:
    train, holdout, fresh = tables()
    one_class = fresh.assign(high_income=fresh["high_income"].iloc[0])
    report = evaluate(train, one_class, holdout, target="high_income", limits=FAST)
    card = report.score("utility")
    assert card.status == "red" and "no model could be trained" in card.headline
    assert card.reference is not None and card.reference > 0.5  # the real side still scores


def test_user_errors_name_the_problem() -> None:
    train, holdout, fresh = tables()
    with pytest.raises(ColumnNotFoundError, match="target column 'salary' does not exist"):
        evaluate(train, fresh, holdout, target="salary")
    bad = fresh.drop(columns=["age"]).assign(extra=1)
    with pytest.raises(SchemaError, match=r"missing 'age'; extra 'extra'"):
        evaluate(train, bad, holdout, target="high_income")
    with pytest.raises(SchemaError, match="inferred as id"):
        evaluate(train, fresh, holdout, target="patient_id")


def nasty_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tables whose column names and labels would break a page that did not escape them."""
    frames = []
    for table in tables(300):
        renamed = table.rename(columns={"region": NASTY})
        renamed.loc[renamed.index[:40], NASTY] = "</td><b>bold?</b>"
        frames.append(renamed)
    return frames[0], frames[1], frames[2]


def test_html_is_self_contained_and_escapes_user_strings(tmp_path: Path) -> None:
    train, holdout, fresh = nasty_tables()
    report = evaluate(
        train, fresh, holdout, target="high_income", sensitive=[NASTY, "sex"], limits=FAST
    )
    page = report.to_html(tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == page
    assert NASTY not in page and "</td><b>bold?</b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert page.count(plotly.offline.get_plotlyjs()[:500]) == 1  # Plotly inlined, once
    assert "http://" not in page.split("<script>", 1)[0] and 'src="http' not in page


def test_compare_marks_the_best_table() -> None:
    train, holdout, fresh = tables()
    shuffled = shuffled_columns(fresh)
    comparison = compare(
        train, {"good": fresh, "shuffled": shuffled}, holdout, schema_of(train), limits=FAST
    )
    rows = {r["name"]: r for r in comparison.rows()}
    assert rows["contingency_tvd"]["best"] == ["good"]
    assert rows["fidelity_score"]["best"] == ["good"]
    data = json.loads(comparison.to_json())
    assert data["tables"] == ["good", "shuffled"] and set(data["reports"]) == {"good", "shuffled"}
    page = comparison.to_html()
    assert 'class="num best"' in page and page.count(plotly.offline.get_plotlyjs()[:500]) == 1


def test_subsampling_is_recorded_with_its_seed() -> None:
    train, holdout, fresh = tables()
    limits = EvaluationLimits(
        fidelity_rows=200,
        detection_rows=100,
        utility_rows=200,
        privacy_rows=100,
        privacy_train_rows=200,
        attacks=50,
    )
    report = evaluate(train, fresh, holdout, schema_of(train), seed=7, limits=limits)
    tables_sampled = {(s["family"], s["table"]) for s in report.sampling}
    assert {("fidelity", "train"), ("utility", "synthetic"), ("privacy", "train")} <= tables_sampled
    assert all(s["seed"] >= 7 for s in report.sampling)
    assert "random subsample" in report.to_html()


# ---- the page in a real browser -----------------------------------------------------------


def _browser_or_skip() -> Any:
    required = os.environ.get("SYNTHERA_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("SYNTHERA_REQUIRE_BROWSER=1 but the playwright package is missing")
        pytest.skip("playwright is not installed")
    if not CHROMIUM.exists():
        if required:
            pytest.fail(f"SYNTHERA_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    return sync_playwright


def render_in_chromium(path: Path) -> dict[str, Any]:
    """Open a page offline in headless Chromium; collect errors, dialogs and sizes."""
    sync_playwright = _browser_or_skip()
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            # Offline: any request leaving the file is a bug (and is refused).

            def refuse(route: Any) -> None:
                problems.append(f"request: {route.request.url}")
                route.abort()

            def on_dialog(dialog: Any) -> None:
                problems.append(f"dialog: {dialog.message}")
                dialog.dismiss()

            page.route("http*://**", refuse)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", on_dialog)
            page.goto(path.as_uri(), wait_until="load")
            every_chart_drawn = (
                "Array.from(document.querySelectorAll('.chart'))"
                ".every(c => c.querySelector('.main-svg'))"
            )
            page.wait_for_function(every_chart_drawn, timeout=20_000)
            return {
                "problems": problems,
                "charts": page.locator(".chart").count(),
                "drawn": page.evaluate(
                    "Array.from(document.querySelectorAll('.chart'))"
                    ".filter(c => c.querySelector('.main-svg')).length"
                ),
                "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
            }
        finally:
            browser.close()


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    _browser_or_skip()
    train, holdout, fresh = nasty_tables()
    report = evaluate(
        train, fresh, holdout, target="high_income", sensitive=[NASTY, "sex"], limits=FAST
    )
    report.to_html(tmp_path / "r.html")
    result = render_in_chromium(tmp_path / "r.html")
    assert result["problems"] == []
    assert result["charts"] > 10 and result["drawn"] == result["charts"]  # Plotly drew them all
    assert result["scroll_width"] <= 1366  # no sideways scrolling on a laptop


def test_comparison_renders_in_headless_chromium(tmp_path: Path) -> None:
    _browser_or_skip()
    train, holdout, fresh = tables(300)
    noisy = fresh.assign(age=fresh["age"] + np.random.default_rng(0).integers(-5, 5, len(fresh)))
    comparison = compare(train, {"a": fresh, "b": noisy}, holdout, schema_of(train), limits=FAST)
    comparison.to_html(tmp_path / "c.html")
    result = render_in_chromium(tmp_path / "c.html")
    assert result["problems"] == [] and result["drawn"] == result["charts"] > 0
    assert result["scroll_width"] <= 1366


def test_progress_is_reported_per_family() -> None:
    train, holdout, fresh = tables(300)
    calls: list[tuple[str, int, int | None]] = []
    evaluate(
        train,
        fresh,
        holdout,
        schema_of(train),
        limits=FAST,
        progress=lambda stage, done, total, metrics: calls.append((stage, done, total)),
    )
    assert calls[0] == ("evaluate synthetic", 0, 4) and calls[-1] == ("evaluate synthetic", 4, 4)


def test_degenerate_tables_are_reported_not_crashed() -> None:
    train, holdout, fresh = tables(300)
    empty_column = evaluate(
        train, fresh.assign(income=np.nan), holdout, schema_of(train), limits=FAST
    )
    assert empty_column.metric("missing_rate").per_item["income"] == pytest.approx(
        1 - train["income"].isna().mean()
    )
    only_target = pd.DataFrame({"c": list("abcab") * 40})
    report = evaluate(only_target, only_target, target="c", limits=FAST)
    assert report.score("utility").status == "grey"
    assert "no column besides the target" in report.score("utility").headline

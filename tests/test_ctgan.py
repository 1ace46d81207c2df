"""CTGAN and the shared neural pieces, on small made-up tables with tiny networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from synthera.errors import ConditionError, ParameterError
from synthera.models.base import Synthesizer
from synthera.models.ctgan import CTGAN, Discriminator
from synthera.models.neural.fidelity import EncodedFidelity
from synthera.models.neural.layout import OutputLayout
from synthera.models.neural.precision import matmul_dtype
from synthera.models.neural.randomness import torch_generator
from synthera.models.neural.sampler import ConditionalSampler
from synthera.schema import Schema
from synthera.transforms import TableEncoder
from tests.conftest import make_mixed_table

TINY: dict[str, Any] = {
    "batch_size": 100,
    "embedding_dim": 16,
    "generator_dim": (32, 32),
    "discriminator_dim": (32, 32),
    "device": "cpu",
    "collapse_check_rows": 2000,
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_mixed_table(400, seed=3)


@pytest.fixture(scope="module")
def schema(table: pd.DataFrame) -> Schema:
    return Schema.infer(table, target="high_income", sensitive=["sex"])


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame, schema: Schema) -> CTGAN:
    return CTGAN(epochs=4, **TINY).fit(table, schema, seed=0)


def test_sample_has_every_column_with_its_kind_and_missing_values(
    fitted: CTGAN, table: pd.DataFrame
) -> None:
    rows = fitted.sample(2000, seed=1)
    assert list(rows.columns) == list(table.columns) and len(rows) == 2000
    assert pd.api.types.is_integer_dtype(rows["age"])
    assert pd.api.types.is_float_dtype(rows["income"])
    assert pd.api.types.is_datetime64_any_dtype(rows["admitted"])
    assert rows["smoker"].dtype == bool
    assert set(rows["region"]) <= set(table["region"])
    assert rows["patient_id"].is_unique
    # income and visits had missing values: the model learned to produce them
    assert rows["income"].isna().any() and rows["visits"].isna().any()
    assert (
        rows["income"]
        .dropna()
        .between(table["income"].min() * 0.5, table["income"].max() * 2)
        .all()
    )


def test_seeded_fit_and_sample_repeat_exactly(table: pd.DataFrame, schema: Schema) -> None:
    first = CTGAN(epochs=1, **TINY).fit(table, schema, seed=5)
    second = CTGAN(epochs=1, **TINY).fit(table, schema, seed=5)
    pd.testing.assert_frame_equal(first.sample(300, seed=2), second.sample(300, seed=2))
    assert not first.sample(300, seed=2).equals(first.sample(300, seed=3))


def test_progress_gets_losses_per_epoch(table: pd.DataFrame, schema: Schema) -> None:
    events: list[tuple[str, int, int | None, dict[str, float]]] = []
    model = CTGAN(epochs=3, **TINY)
    model.fit(table, schema, seed=0, progress=lambda *event: events.append(event))
    train = [e for e in events if e[0] == "train"]
    assert [(e[1], e[2]) for e in train] == [(1, 3), (2, 3), (3, 3)]
    for _, _, _, metrics in train:
        assert {"loss_g", "loss_d"} <= set(metrics)
        assert all(np.isfinite(v) for v in metrics.values())
    assert model.epochs_trained_ == 3 and model.loss_history_["loss_g"].shape == (3,)


def test_save_load_gives_the_same_rows_and_keeps_the_history(fitted: CTGAN, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model")
    loaded = Synthesizer.load(tmp_path / "model")
    assert isinstance(loaded, CTGAN)
    pd.testing.assert_frame_equal(loaded.sample(500, seed=9), fitted.sample(500, seed=9))
    np.testing.assert_array_equal(loaded.loss_history_["loss_d"], fitted.loss_history_["loss_d"])
    assert loaded.fit_warnings_ == fitted.fit_warnings_
    params = json.loads((tmp_path / "model" / "model.json").read_text())["params"]
    assert params["generator_dim"] == [32, 32] and params["pac"] == 10
    conditioned = loaded.sample(50, conditions={"region": "north"}, seed=4)
    pd.testing.assert_frame_equal(
        conditioned, fitted.sample(50, conditions={"region": "north"}, seed=4)
    )


def test_single_discrete_condition_is_native_and_exact(
    fitted: CTGAN, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_rejection(n: int, rng: np.random.Generator) -> pd.DataFrame:
        raise AssertionError("native conditioning should not fall back to rejection")

    monkeypatch.setattr(fitted, "_sample", no_rejection)
    rows = fitted.sample(300, conditions={"sex": "Female"}, seed=1)
    assert len(rows) == 300 and (rows["sex"] == "Female").all()
    # a value typed as text on the command line finds its boolean category too
    assert fitted.sample(40, conditions={"smoker": "True"}, seed=1)["smoker"].all()
    partial = pd.DataFrame({"region": ["south", "north", "south"]})
    rows = fitted.sample(3, conditions=partial, seed=1)
    assert list(rows["region"]) == ["south", "north", "south"]


def test_other_conditions_fall_back_to_rejection(fitted: CTGAN) -> None:
    rows = fitted.sample(30, conditions={"sex": "Male", "smoker": False}, seed=1)
    assert (rows["sex"] == "Male").all() and (~rows["smoker"]).all()
    ages = fitted.sample(20, conditions={"age": 40}, seed=1)
    assert (ages["age"] == 40).all()
    with pytest.raises(ConditionError, match="region='atlantis'"):
        fitted.sample(5, conditions={"region": "atlantis"}, seed=1)


def test_parameters_are_checked_and_survive_json() -> None:
    with pytest.raises(ParameterError, match="multiple of pac"):
        CTGAN(batch_size=105)
    with pytest.raises(ParameterError, match="device"):
        CTGAN(device="tpu")
    with pytest.raises(ParameterError, match="generator_dim"):
        CTGAN(generator_dim="256")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="precision must be one of auto, float32"):
        CTGAN(precision="float16")
    params = CTGAN(generator_dim=[64], precision="float32").get_params()
    model = CTGAN.from_params(json.loads(json.dumps(params)))
    assert model.generator_dim == (64,) and model.betas == (0.5, 0.9)
    assert model.precision == "float32"


def test_auto_precision_uses_bfloat16_only_where_the_cpu_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cpu = torch.device("cpu")
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": False})
    assert matmul_dtype("auto", cpu) is None
    assert matmul_dtype("bfloat16", cpu) == torch.bfloat16  # asked for: emulated, but done
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"amx_bf16": True})
    assert matmul_dtype("auto", cpu) == torch.bfloat16
    assert matmul_dtype("float32", cpu) is None


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_both_precisions_fit_and_float32_multiplies_in_float32(
    table: pd.DataFrame, schema: Schema, precision: str
) -> None:
    model = CTGAN(epochs=2, precision=precision, **TINY).fit(table, schema, seed=0)
    expected = None if precision == "float32" else torch.bfloat16
    assert model.generator_.compute_dtype == expected
    rows = model.sample(300, seed=1)
    assert rows.shape == (300, table.shape[1])
    assert np.isfinite(model.loss_history_["loss_d"]).all()


def test_cuda_asked_for_without_a_gpu_is_a_clear_error(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ParameterError, match="no CUDA GPU"):
        CTGAN(epochs=1, **{**TINY, "device": "cuda"}).fit(table, seed=0)


def test_early_stopping_keeps_the_best_generator(
    table: pd.DataFrame, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    scores = iter([0.5, 0.7, 0.6, 0.6, 0.6])
    monkeypatch.setattr(EncodedFidelity, "score", lambda self, rows: next(scores))
    model = CTGAN(epochs=50, early_stop_patience=2, validation_every=1, **TINY)
    model.fit(table, schema, seed=0)
    assert model.epochs_trained_ == 4  # best at epoch 2, then two checks without progress
    assert model.best_validation_score_ == 0.7


def test_mode_collapse_is_flagged(table: pd.DataFrame, schema: Schema) -> None:
    model = CTGAN(epochs=1, **TINY).fit(table, schema, seed=0)
    block = next(b for b in model._layout.discrete if b.column == "region")
    out = model.generator_.out
    with torch.no_grad():  # contrive a collapsed generator: one region always wins
        out.weight[block.start : block.start + block.width] = 0.0
        out.bias[block.start : block.start + block.width] = -50.0
        out.bias[block.start] = 50.0
    generator = torch_generator(np.random.default_rng(0), torch.device("cpu"))
    warnings = model._check_collapse(generator, None)
    region = [w for w in warnings if "'region'" in w]
    assert region and "4 of 5 categories never generated in 2,000 rows" in region[0]


# ---- the shared pieces ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoded(table: pd.DataFrame, schema: Schema) -> tuple[OutputLayout, torch.Tensor]:
    encoder = TableEncoder(schema, style="mode_specific", dtype=np.float32)
    encoded = encoder.fit_transform(table, seed=0)
    layout = OutputLayout(encoder.spans, torch.device("cpu"))
    data = torch.as_tensor(layout.to_model_order(encoded))
    return layout, data


def test_sampler_draws_rows_of_the_asked_category(
    encoded: tuple[OutputLayout, torch.Tensor],
) -> None:
    layout, data = encoded
    counts = layout.discrete_counts(data)
    sampler = ConditionalSampler(layout, counts, log_frequency=True, data=data)
    generator = torch.Generator().manual_seed(0)
    cond, categories = sampler.training_conditions(20_000, generator)
    assert torch.equal(cond.argmax(dim=1), categories) and torch.all(cond.sum(dim=1) == 1)
    rows = data[sampler.rows_for(categories, generator)]
    columns = layout.category_column[categories]
    assert torch.all(rows[torch.arange(rows.shape[0]), columns] == 1)
    # each discrete column is picked uniformly, each category by log-frequency
    blocks = layout.category_block[categories]
    shares = torch.bincount(blocks, minlength=len(layout.discrete)) / 20_000
    assert torch.allclose(shares, torch.full_like(shares, 1 / len(layout.discrete)), atol=0.02)
    sex = layout.discrete[0]
    assert sex.column == "sex"
    picked = torch.bincount(categories[blocks == 0], minlength=2).double()
    expected = torch.log1p(counts[:2].double())
    assert torch.allclose(picked / picked.sum(), expected / expected.sum(), atol=0.03)


def test_activation_and_conditional_loss_match_a_span_by_span_reference(
    encoded: tuple[OutputLayout, torch.Tensor],
) -> None:
    layout, _ = encoded
    logits = torch.randn(64, layout.width, generator=torch.Generator().manual_seed(1))
    out = layout.activate(logits, 0.2, torch.Generator().manual_seed(2))
    assert torch.allclose(out[:, layout.tanh], torch.tanh(logits[:, layout.tanh]))
    for group in layout.softmax_groups:
        assert torch.allclose(group.view(out).sum(dim=-1), torch.ones(1), atol=1e-5)
    # model order holds every encoder column once, and goes back exactly
    assert sorted(layout.order.tolist()) == list(range(layout.width))
    assert torch.equal(layout.to_encoder_order(logits)[:, layout.order], logits)
    categories = torch.randint(layout.n_categories, (64,), generator=torch.Generator())
    expected = []
    for row, category in enumerate(categories.tolist()):
        block = layout.discrete[int(layout.category_block[category])]
        span = logits[row, block.start : block.start + block.width]
        target = torch.tensor(category - block.cond_offset)
        expected.append(torch.nn.functional.cross_entropy(span[None], target[None]))
    loss = layout.conditional_cross_entropy(logits, categories)
    assert torch.allclose(loss, torch.stack(expected).mean(), atol=1e-5)


def test_block_softmax_and_its_written_out_backward_match_softmax_per_block(
    encoded: tuple[OutputLayout, torch.Tensor],
) -> None:
    layout, _ = encoded
    torch.manual_seed(0)
    # Blocks far apart in scale: one shift for the whole row would underflow some.
    x = (torch.randn(32, layout.width) * 40.0)[:, layout.softmax_columns].requires_grad_(True)
    weights = torch.randn(x.shape)
    (fast_grad,) = torch.autograd.grad((layout.block_softmax(x) * weights).sum(), x)
    start, expected = 0, []
    for group in layout.softmax_groups:
        for _ in range(group.count):
            expected.append(torch.softmax(x[:, start : start + group.width], dim=1))
            start += group.width
    reference = torch.cat(expected, dim=1)
    assert torch.allclose(layout.block_softmax(x), reference, atol=1e-6)
    (reference_grad,) = torch.autograd.grad((reference * weights).sum(), x)
    assert torch.allclose(fast_grad, reference_grad, atol=1e-5)


def test_gumbel_activation_picks_categories_at_their_softmax_rates(
    encoded: tuple[OutputLayout, torch.Tensor],
) -> None:
    """Gumbel-max: the argmax of softmax((logits + Gumbel noise) / tau) in a block is
    distributed as softmax(logits), whatever tau is."""
    layout, _ = encoded
    logits = torch.randn(1, layout.width, generator=torch.Generator().manual_seed(3)) * 2
    rows = layout.activate(logits.expand(20_000, -1), 0.2, torch.Generator().manual_seed(4))
    for group in layout.softmax_groups:
        picked = group.view(rows).argmax(dim=-1)  # (rows, count)
        for k in range(group.count):
            wanted = torch.softmax(group.view(logits)[0, k], dim=0)
            seen = torch.bincount(picked[:, k], minlength=group.width) / len(rows)
            assert torch.allclose(seen, wanted, atol=0.015)


@pytest.mark.parametrize("dtype", [None, torch.bfloat16])
def test_penalty_gradient_norms_match_autograds_double_backward(
    dtype: torch.dtype | None,
) -> None:
    """The discriminator's input-gradient norms, written out as a chain of products,
    against the reference's autograd.grad(create_graph=True): the same norms and the
    same weight gradients of the penalty, with the same dropout masks."""
    torch.manual_seed(0)
    pac, width = 5, 12
    model = Discriminator(width, (16, 8), pac, compute_dtype=dtype)
    x = torch.randn(40, width)

    def penalty_by_autograd() -> torch.Tensor:
        inputs = x.clone().requires_grad_(True)
        score = model(inputs, torch.Generator().manual_seed(7))
        (gradient,) = torch.autograd.grad(score.sum(), inputs, create_graph=True)
        return gradient.reshape(-1, pac * width).norm(2, dim=1)

    norms = model.input_gradient_norms(x, torch.Generator().manual_seed(7))
    reference = penalty_by_autograd()
    tolerance = 1e-5 if dtype is None else 2e-2
    assert torch.allclose(norms, reference, rtol=tolerance)
    grads = []
    for value in (norms, reference):
        model.zero_grad(set_to_none=True)
        ((value - 1.0) ** 2).mean().backward()
        # The biases move no input gradient: autograd gives zeros, the chain nothing.
        grads.append(
            torch.cat(
                [
                    (p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                    for p in model.parameters()
                ]
            )
        )
    assert grads[1].abs().max() > 0
    atol = tolerance * float(grads[1].abs().max())
    assert torch.allclose(grads[0], grads[1], rtol=tolerance, atol=atol)


def test_fidelity_score_is_one_for_the_reference_itself(
    encoded: tuple[OutputLayout, torch.Tensor],
) -> None:
    layout, data = encoded
    fidelity = EncodedFidelity(layout, data)
    assert fidelity.score(data) == pytest.approx(1.0)
    assert fidelity.score(torch.zeros_like(data)) < 0.8

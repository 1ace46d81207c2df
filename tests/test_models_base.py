"""The Synthesizer protocol, registry, persistence and conditional sampling, on a toy model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthera.errors import (
    ColumnNotFoundError,
    ConditionError,
    ModelFileError,
    NotFittedError,
    ParameterError,
    UnknownModelError,
)
from synthera.models import persistence
from synthera.models.base import Synthesizer
from synthera.models.registry import (
    available_synthesizers,
    get_synthesizer,
    register_synthesizer,
    synthesizer_class,
)
from synthera.schema import ColumnKind, Schema


@register_synthesizer
class ShuffledColumns(Synthesizer):
    """Toy model for these tests: every column drawn independently from the training values."""

    name = "test_shuffled_columns"
    description = "test model"

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale

    def _fit(self, df, schema, rng, progress) -> None:
        self.codes_ = {}
        self.labels_ = {}
        for name in schema.names:
            codes, labels = pd.factorize(df[name], use_na_sentinel=True)
            self.codes_[name] = codes.astype(np.int64)
            self.labels_[name] = list(labels)
            if progress:
                progress("fit", len(self.codes_), len(schema.names), {"loss": 1.0})

    def _sample(self, n, rng) -> pd.DataFrame:
        out = {}
        for name, codes in self.codes_.items():
            picked = rng.choice(codes, size=n)
            labels = np.asarray(self.labels_[name] + [None], dtype=object)
            out[name] = labels[np.where(picked < 0, len(labels) - 1, picked)]
        frame = pd.DataFrame(out, columns=self.schema_names_)
        return frame.infer_objects()

    @property
    def schema_names_(self) -> list[str]:
        return list(self.codes_)

    def _get_state(self) -> dict[str, Any]:
        return {"codes": self.codes_, "labels": self.labels_}

    def _set_state(self, state: Mapping[str, Any], schema: Schema) -> None:
        self.codes_ = {k: np.asarray(v) for k, v in state["codes"].items()}
        self.labels_ = {k: list(v) for k, v in state["labels"].items()}


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame(
        {
            "sex": rng.choice(["Female", "Male"], n, p=[0.3, 0.7]),
            "grade": rng.choice([1, 2, 3, 4], n),
            "income": rng.lognormal(10, 1, n).round(2),
            "rare": rng.choice(["common", "scarce"], n, p=[0.999, 0.001]),
        }
    )


@pytest.fixture
def fitted(table: pd.DataFrame) -> ShuffledColumns:
    schema = Schema.infer(table, overrides={"rare": "categorical"})
    model = ShuffledColumns(scale=2.0)
    return model.fit(table, schema, seed=1)


def test_registry_builds_by_name() -> None:
    model = get_synthesizer("test_shuffled_columns", scale=3.0)
    assert isinstance(model, ShuffledColumns) and model.scale == 3.0
    names = {info.name for info in available_synthesizers()}
    assert {"gaussian_copula", "test_shuffled_columns"} <= names
    with pytest.raises(UnknownModelError, match="no model named 'nope'"):
        synthesizer_class("nope")
    with pytest.raises(ParameterError, match="has no parameter 'epochs'"):
        get_synthesizer("test_shuffled_columns", epochs=3)
    with pytest.raises(ParameterError, match="scale must be positive"):
        get_synthesizer("test_shuffled_columns", scale=-1)


def test_get_params_mirrors_init() -> None:
    assert ShuffledColumns(scale=0.5).get_params() == {"scale": 0.5}
    assert repr(ShuffledColumns()) == "ShuffledColumns(scale=1.0)"


def test_sampling_before_fit_is_an_error() -> None:
    with pytest.raises(NotFittedError):
        ShuffledColumns().sample(3)


def test_fit_reports_progress_and_validates(table: pd.DataFrame) -> None:
    calls: list[tuple[str, int, int | None]] = []
    ShuffledColumns().fit(table, progress=lambda s, d, t, m: calls.append((s, d, t)))
    assert calls[-1] == ("fit", 4, 4)
    with pytest.raises(ParameterError, match="no rows"):
        ShuffledColumns().fit(table.iloc[:0])
    schema = Schema.infer(table)
    with pytest.raises(ColumnNotFoundError):
        ShuffledColumns().fit(table.drop(columns="sex"), schema)


def test_same_seed_same_rows(fitted: ShuffledColumns) -> None:
    pd.testing.assert_frame_equal(fitted.sample(50, seed=9), fitted.sample(50, seed=9))
    assert not fitted.sample(50, seed=9).equals(fitted.sample(50, seed=10))
    with pytest.raises(ParameterError, match="whole number"):
        fitted.sample(-1)


def test_save_load_gives_the_same_rows(tmp_path: Path, fitted: ShuffledColumns) -> None:
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "model.json",
        "weights.safetensors",
    ]
    loaded = Synthesizer.load(tmp_path / "model")
    assert isinstance(loaded, ShuffledColumns) and loaded.scale == 2.0
    assert loaded.schema_ == fitted.schema_
    pd.testing.assert_frame_equal(loaded.sample(100, seed=4), fitted.sample(100, seed=4))
    assert ShuffledColumns.load(tmp_path / "model").n_training_rows_ == 400


def _edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_loading_refuses_damaged_directories(tmp_path: Path, fitted: ShuffledColumns) -> None:
    directory = fitted.save(tmp_path / "m")
    meta, weights = directory / "model.json", directory / "weights.safetensors"

    with pytest.raises(ModelFileError, match="not found"):
        Synthesizer.load(tmp_path / "absent")
    original_meta, original_weights = meta.read_text(), weights.read_bytes()

    _edit_json(meta, lambda d: d["params"].update(scale=5.0))
    with pytest.raises(ModelFileError, match="modified or corrupted"):
        Synthesizer.load(directory)
    meta.write_text(original_meta)

    weights.write_bytes(original_weights[:-3] + b"xyz")
    with pytest.raises(ModelFileError, match=r"weights\.safetensors was modified"):
        Synthesizer.load(directory)
    weights.write_bytes(original_weights)

    meta.write_text(original_meta[: len(original_meta) // 2])
    with pytest.raises(ModelFileError, match="not valid JSON"):
        Synthesizer.load(directory)
    meta.write_text(original_meta)

    _edit_json(meta, lambda d: d.update(format_version=99))
    with pytest.raises(ModelFileError, match="newer Synthera"):
        Synthesizer.load(directory)
    meta.write_text(original_meta)

    weights.unlink()
    with pytest.raises(ModelFileError, match="lacks its weights"):
        Synthesizer.load(directory)


def test_a_consistent_but_wrong_state_is_refused(tmp_path: Path, fitted: ShuffledColumns) -> None:
    header = {"model": fitted.name, "params": {}, "schema": fitted.schema_.to_dict()}
    persistence.write_model_dir(tmp_path / "m", header, {"wrong": np.zeros(3)})
    with pytest.raises(ModelFileError, match="unreadable model state"):
        Synthesizer.load(tmp_path / "m")
    header["model"] = "made_up"
    persistence.write_model_dir(tmp_path / "m", header, {})
    with pytest.raises(UnknownModelError):
        Synthesizer.load(tmp_path / "m")


def test_split_and_join_arrays_round_trip() -> None:
    tree: dict[str, Any] = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": [np.array([1, 2], dtype=np.int64), {"c": np.array(["x", "y"])}],
        "d": np.float64(1.5),
        "e": None,
    }
    json_tree, arrays = persistence.split_arrays(tree)
    json.dumps(json_tree)  # everything left is plain JSON
    assert set(arrays) == {"/a", "/b/0"}
    back = persistence.join_arrays(json_tree, arrays)
    np.testing.assert_array_equal(back["a"], tree["a"])
    np.testing.assert_array_equal(back["b"][0], tree["b"][0])
    assert list(back["b"][1]["c"]) == ["x", "y"]
    assert back["d"] == 1.5
    with pytest.raises(TypeError, match="unsupported value"):
        persistence.split_arrays({"x": object()})


# ---- conditional sampling -----------------------------------------------------------


def test_condition_on_a_category(fitted: ShuffledColumns) -> None:
    rows = fitted.sample(120, conditions={"sex": "Female"}, seed=0)
    assert len(rows) == 120 and (rows["sex"] == "Female").all()
    assert rows["income"].nunique() > 10  # other columns still vary


def test_condition_keys_normalise_numbers(fitted: ShuffledColumns) -> None:
    rows = fitted.sample(30, conditions={"grade": "3"}, seed=0)  # as the CLI passes it
    assert (rows["grade"] == 3).all()


def test_condition_on_a_number_is_exact(fitted: ShuffledColumns, table: pd.DataFrame) -> None:
    value = float(table["income"].median())
    rows = fitted.sample(20, conditions={"income": value}, seed=0)
    assert (rows["income"] == value).all()


def test_partial_rows_fix_their_own_cells(fitted: ShuffledColumns) -> None:
    partial = pd.DataFrame(
        {"sex": ["Female", None, "Male", "Female"], "grade": [1, 2, np.nan, np.nan]}
    )
    rows = fitted.sample(4, conditions=partial, seed=0)
    assert list(rows["sex"].iloc[[0, 2, 3]]) == ["Female", "Male", "Female"]
    assert list(rows["grade"].iloc[[0, 1]]) == [1, 2]
    with pytest.raises(ParameterError, match="one per wanted row"):
        fitted.sample(5, conditions=partial)


def test_impossible_conditions_name_the_condition(fitted: ShuffledColumns) -> None:
    with pytest.raises(ConditionError, match="sex='Unknown'"):
        fitted.sample(10, conditions={"sex": "Unknown"}, seed=0)
    with pytest.raises(ColumnNotFoundError, match="'colour'"):
        fitted.sample(10, conditions={"colour": "red"})


def test_conditions_reject_unmodelled_columns(table: pd.DataFrame) -> None:
    schema = Schema.infer(table).with_overrides({"sex": ColumnKind.TEXT})
    model = ShuffledColumns().fit(table, schema)
    with pytest.raises(ConditionError, match="not modelled"):
        model.sample(3, conditions={"sex": "Female"})

"""One contract run over every built-in synthesizer, as scikit-learn's estimator checks do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthera.errors import UnknownModelError
from synthera.models.base import Synthesizer
from synthera.models.registry import BUILTIN_SYNTHESIZERS, get_synthesizer, synthesizer_class
from synthera.schema import ColumnKind, Schema
from synthera.transforms import RARE_LABEL

# Small settings so neural models stay fast in the unit tests.
FAST_PARAMS: dict[str, dict[str, object]] = {
    "ctgan": {
        "epochs": 2,
        "batch_size": 100,
        "embedding_dim": 16,
        "generator_dim": (32, 32),
        "discriminator_dim": (32, 32),
        "collapse_check_rows": 1000,
    },
    "tvae": {
        "epochs": 10,
        "batch_size": 100,
        "embedding_dim": 16,
        "compress_dims": (32, 32),
        "decompress_dims": (32, 32),
        "collapse_check_rows": 1000,
    },
    "aim": {"rounds": 10, "iterations": 100},
    "autoregressive": {"hidden": (32, 32), "max_epochs": 5},
}
# Models that only train privately get a budget; they may fold rare values into RARE_LABEL.
FIT_PRIVACY: dict[str, dict[str, float]] = {"aim": {"epsilon": 10.0}}


@pytest.mark.parametrize("name", sorted(BUILTIN_SYNTHESIZERS))
def test_synthesizer_contract(name: str, tmp_path: Path, mixed_table: pd.DataFrame) -> None:
    try:
        synthesizer_class(name)
    except UnknownModelError as exc:  # an optional extra that is not installed
        pytest.skip(str(exc))
    schema = Schema.infer(mixed_table, target="high_income", sensitive=["sex"])
    model = get_synthesizer(name, **FAST_PARAMS.get(name, {}))
    stages: list[str] = []
    privacy = FIT_PRIVACY.get(name)
    fitted = model.fit(
        mixed_table, schema, seed=0, progress=lambda s, *_: stages.append(s), privacy=privacy
    )
    assert fitted is model
    assert stages, "fit reports progress"

    rows = model.sample(200, seed=1)
    assert list(rows.columns) == schema.names and len(rows) == 200
    folded = {RARE_LABEL} if privacy else set()
    for column in schema.of_kind(ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
        assert set(rows[column].dropna()) <= set(mixed_table[column].dropna()) | folded, column
    pd.testing.assert_frame_equal(rows, model.sample(200, seed=1))
    assert model.sample(0, seed=1).shape == (0, len(schema.names))

    conditioned = model.sample(40, conditions={"sex": "Female"}, seed=2)
    assert (conditioned["sex"] == "Female").all()

    model.save(tmp_path / name)
    loaded = Synthesizer.load(tmp_path / name)
    pd.testing.assert_frame_equal(loaded.sample(200, seed=1), rows)

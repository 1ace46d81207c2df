"""The Synthesizer protocol every generator follows.

Hyper-parameters live only in `__init__` (as in scikit-learn); learned state lives in
attributes ending in `_`; `fit` returns `self`. Subclasses implement `_fit`, `_sample`,
`_get_state` and `_set_state`; this class handles schemas, seeds, conditions and files.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from synthera import __version__
from synthera.errors import ModelFileError, NotFittedError, ParameterError, SyntheraError
from synthera.models.conditions import Conditions, ConditionSampler
from synthera.models.persistence import read_model_dir, write_model_dir
from synthera.privacy.ledger import PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback
from synthera.schema import Schema
from synthera.seeding import Seed, make_rng


class Synthesizer(ABC):
    """Learns a table and samples new rows like it."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    supports_privacy: ClassVar[bool] = False  # implements `_fit_private`
    requires_privacy: ClassVar[bool] = False  # trains only under a privacy budget

    schema_: Schema
    n_training_rows_: int
    privacy_: PrivacyLedger | None  # what a private fit spent; None when not private

    # ---- hyper-parameters -------------------------------------------------------

    @classmethod
    def param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p for p in signature.parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.param_names()}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        """Build from user-given parameters, naming any that the model does not take."""
        unknown = sorted(set(params) - set(cls.param_names()))
        if unknown:
            raise ParameterError(
                f"{cls.name} has no parameter {', '.join(map(repr, unknown))} "
                f"(it takes: {', '.join(cls.param_names()) or 'none'})"
            )
        try:
            return cls(**params)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{cls.name}: {exc}") from None

    # ---- fitting and sampling ---------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "schema_")

    def fit(
        self,
        df: pd.DataFrame,
        schema: Schema | None = None,
        *,
        seed: Seed = None,
        progress: ProgressCallback | None = None,
        privacy: PrivacySpec | Mapping[str, Any] | None = None,
    ) -> Self:
        """Learn `df`. Without a schema one is inferred (see `Schema.infer`).
        `privacy` ({"epsilon": 1.0, ...}, see `PrivacySpec`) trains with differential
        privacy; the ε covers everything the model learns from `df`."""
        spec = PrivacySpec.coerce(privacy)
        if spec is not None and not self.supports_privacy:
            from synthera.models.registry import private_synthesizer_names

            raise ParameterError(
                f"{self.name} cannot train with differential privacy "
                f"(models that can: {', '.join(private_synthesizer_names()) or 'none installed'})"
            )
        if len(df) == 0:
            raise ParameterError("cannot fit on a table with no rows")
        schema = schema if schema is not None else Schema.infer(df)
        schema.validate(df)
        table = df[schema.names].reset_index(drop=True)
        rng = make_rng(seed)
        if spec is None:
            self._fit(table, schema, rng, progress)
            self.privacy_ = None
        else:
            ledger = self._fit_private(table, schema, rng, progress, spec)
            ledger.check_within_target()
            self.privacy_ = ledger
        self.schema_ = schema
        self.n_training_rows_ = len(table)
        return self

    def sample(
        self,
        n: int,
        *,
        conditions: Conditions | None = None,
        seed: Seed = None,
    ) -> pd.DataFrame:
        """`n` synthetic rows; `conditions` fixes some columns (a mapping or partial rows)."""
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ParameterError(f"the number of rows must be a whole number ≥ 0, not {n!r}")
        rng = make_rng(seed)
        if conditions is None:
            return self._sample(int(n), rng)
        sampler = ConditionSampler(self.schema_, self._sample, native=self._sample_conditional)
        return sampler.sample(int(n), conditions, rng)

    @abstractmethod
    def _fit(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        """Learn the table; `df` holds exactly the schema's columns in its order."""

    def _fit_private(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
        spec: PrivacySpec,
    ) -> PrivacyLedger:
        """Learn the table under differential privacy (models with `supports_privacy`);
        return the ledger of what every part that read `df` spent."""
        raise NotImplementedError(f"{self.name} does not implement private training")

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """`n` unconditional rows with every schema column, in schema order."""

    def _sample_conditional(
        self, n: int, wanted: Mapping[str, Any], rng: np.random.Generator
    ) -> pd.DataFrame | None:
        """`n` rows that meet `wanted` ({column: value}, checked to name modelled
        columns), generated natively (CTGAN's conditional vector), or None when this model
        cannot: then the rows come from rejection sampling."""
        return None

    # ---- persistence ------------------------------------------------------------

    @abstractmethod
    def _get_state(self) -> dict[str, Any]:
        """Learned state: a tree of JSON values and NumPy arrays (no objects)."""

    @abstractmethod
    def _set_state(self, state: Mapping[str, Any], schema: Schema) -> None:
        """Restore learned state produced by `_get_state`."""

    def save(self, directory: str | Path) -> Path:
        """Write the fitted model as `model.json` + `weights.safetensors` in `directory`."""
        self._check_fitted()
        header = {
            "synthera_version": __version__,
            "model": self.name,
            "params": self.get_params(),
            "schema": self.schema_.to_dict(),
            "n_training_rows": self.n_training_rows_,
            "privacy": None if self.privacy_ is None else self.privacy_.to_dict(),
        }
        return write_model_dir(directory, header, self._get_state())

    @classmethod
    def load(cls, directory: str | Path) -> Synthesizer:
        """Load any saved model; nothing in the files is executed."""
        from synthera.models.registry import synthesizer_class

        header, state = read_model_dir(directory)
        model_cls = synthesizer_class(str(header.get("model")))
        if cls is not Synthesizer and not issubclass(model_cls, cls):
            raise ParameterError(f"{directory} holds a {model_cls.name} model, not {cls.name}")
        try:
            model = model_cls.from_params(header.get("params") or {})
            schema = Schema.from_dict(header["schema"])
            model._set_state(state, schema)
            privacy = header.get("privacy")
            model.privacy_ = None if privacy is None else PrivacyLedger.from_dict(privacy)
        except (KeyError, TypeError, ValueError, IndexError, SyntheraError) as exc:
            raise ModelFileError(f"{directory} holds an unreadable model state: {exc}") from None
        model.schema_ = schema
        model.n_training_rows_ = int(header.get("n_training_rows", 0))
        return model

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted yet: call fit() first")

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

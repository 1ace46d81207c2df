"""AIM: the marginal-based differentially private generator (the state of the art at
small ε), on the `mbi` package (private-pgm, Apache-2.0; the `synthera[marginal]` extra).

The fit is private from end to end and accounted in zCDP: column domains (category sets
by a noisy threshold, numeric bounds by private quantiles, missing / rare levels by noisy
counts; declared ones are free) take `preprocessing_share` of the budget, AIM's selected
and measured marginals the rest (see `marginal_parts/aim.py`). The fitted model is a set
of junction-tree clique marginals: sampling and loading need NumPy only.

A model that is always private: `fit` without `privacy` is refused. Of the privacy spec it
reads ε and δ; `accountant` and `max_grad_norm` belong to DP-SGD and do not apply (the
ledger names the zCDP accountant used instead).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ModelFileError, ParameterError
from synthera.models.base import Synthesizer
from synthera.models.marginal_parts.aim import AimSettings, run_aim
from synthera.models.marginal_parts.domains import (
    ColumnDomain,
    domain_from_state,
    fit_domains,
    needs_threshold,
)
from synthera.models.marginal_parts.junction import JunctionTreeModel
from synthera.models.marginal_parts.zcdp import ZcdpBudget
from synthera.privacy.ledger import PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback, report
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.seeding import derive_seed
from synthera.transforms import IdEncoder, TextEncoder
from synthera.transforms.base import empty_block
from synthera.transforms.options import FitOptions

EXTRA_MODULES = ("mbi", "jax")
_ID_STRING_DTYPES = ("str", "string", "object")


def require_extra() -> None:
    """ImportError (which the registry reports as "needs an optional dependency") when
    the `marginal` extra is missing, without importing JAX (slow) when it is there."""
    for module in EXTRA_MODULES:
        if importlib.util.find_spec(module) is None:
            raise ImportError(
                f"the aim model needs {module} (pip install 'synthera[marginal]')", name=module
            )


require_extra()


class AIMSynthesizer(Synthesizer):
    name = "aim"
    description = (
        "AIM: differentially private graphical model over noisy marginals (needs privacy=)"
    )
    supports_privacy = True
    requires_privacy = True  # `_fit` refuses: AIM is a private mechanism

    domains_: dict[str, ColumnDomain]
    others_: dict[str, IdEncoder | TextEncoder]
    model_: JunctionTreeModel

    def __init__(
        self,
        rounds: int | None = None,
        max_model_size: float = 80.0,
        bins: int = 32,
        iterations: int = 1000,
        preprocessing_share: float = 0.1,
        threshold_delta_share: float = 0.5,
    ) -> None:
        """`rounds`: AIM's budget shares (None: 16 per column, the paper's default).
        `max_model_size`: megabytes of model tables allowed once the budget is spent.
        `bins`: equal-width bins per numeric column between its bounds.
        `iterations`: mirror-descent steps per refit. `preprocessing_share`: the part of
        the budget (in ρ) spent on column domains. `threshold_delta_share`: the part of
        δ spent on publishing category sets (the rest converts ρ to ε)."""
        if rounds is not None and (isinstance(rounds, bool) or rounds < 1):
            raise ParameterError("rounds must be a whole number ≥ 1 (or None)")
        if not max_model_size > 0:
            raise ParameterError("max_model_size must be > 0 megabytes")
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ParameterError("bins must be a whole number ≥ 2")
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
            raise ParameterError("iterations must be a whole number ≥ 1")
        if not 0 < preprocessing_share < 1:
            raise ParameterError("preprocessing_share must lie strictly between 0 and 1")
        if not 0 < threshold_delta_share < 1:
            raise ParameterError("threshold_delta_share must lie strictly between 0 and 1")
        self.rounds = rounds
        self.max_model_size = max_model_size
        self.bins = bins
        self.iterations = iterations
        self.preprocessing_share = preprocessing_share
        self.threshold_delta_share = threshold_delta_share

    # ---- fitting ------------------------------------------------------------------------

    def _fit(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        raise ParameterError(
            "aim always trains with differential privacy: pass privacy={'epsilon': ...} "
            "(or --epsilon on the command line)"
        )

    def _fit_private(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
        spec: PrivacySpec,
    ) -> PrivacyLedger:
        delta = spec.resolved_delta(len(df))
        modelled = schema.modelled
        if not modelled:
            raise ParameterError("aim needs at least one modelled (non-id, non-text) column")
        thresholded = any(needs_threshold(schema[c], df[c]) for c in modelled)
        budget = ZcdpBudget(
            epsilon=float(spec.epsilon),
            delta=delta,
            threshold_delta=delta * self.threshold_delta_share if thresholded else 0.0,
        )
        report(progress, "domains", 0, 1)
        self.domains_ = fit_domains(
            df, schema, budget, budget.rho * self.preprocessing_share, rng, bins=self.bins
        )
        report(progress, "domains", 1, 1)
        codes = {name: domain.encode(df[name], rng) for name, domain in self.domains_.items()}
        sizes = {name: domain.size for name, domain in self.domains_.items()}
        settings = AimSettings(self.rounds, self.max_model_size, self.iterations)
        self.model_ = run_aim(codes, sizes, budget, rng, settings, progress)
        self.others_ = {
            spec_.name: _other_encoder(spec_, df[spec_.name], rng)
            for spec_ in schema.columns
            if spec_.name not in self.domains_
        }
        return budget.ledger(public=_public_facts(schema, self.others_))

    # ---- sampling -----------------------------------------------------------------------

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        codes = self.model_.sample(n, np.random.default_rng(derive_seed(rng)))
        columns: dict[str, pd.Series] = {}
        for spec in self.schema_.columns:
            column_rng = np.random.default_rng(derive_seed(rng))
            if spec.name in self.domains_:
                series = self.domains_[spec.name].decode(codes[spec.name], column_rng)
            else:
                series = self.others_[spec.name].inverse_transform(empty_block(n), column_rng)
            columns[spec.name] = series.reset_index(drop=True)
        return pd.DataFrame(columns, index=pd.RangeIndex(n))

    # ---- state --------------------------------------------------------------------------

    def _get_state(self) -> dict[str, Any]:
        return {
            "domains": {name: d.get_state() for name, d in self.domains_.items()},
            "others": {name: e.get_state() for name, e in self.others_.items()},
            "model": self.model_.get_state(),
        }

    def _set_state(self, state: Mapping[str, Any], schema: Schema) -> None:
        domains = state["domains"]
        others = state["others"]
        if sorted(domains) != sorted(schema.modelled) or sorted([*domains, *others]) != sorted(
            schema.names
        ):
            raise ModelFileError("the aim model's columns do not match its schema")
        self.domains_ = {
            name: domain_from_state(schema[name], domains[name]) for name in schema.modelled
        }
        self.others_ = {name: _other_from_state(schema[name], others[name]) for name in others}
        self.model_ = JunctionTreeModel.from_state(state["model"])
        if {k: d.size for k, d in self.domains_.items()} != self.model_.sizes:
            raise ModelFileError("the aim model's tables do not match its column domains")


def _other_encoder(
    spec: ColumnSpec, series: pd.Series, rng: np.random.Generator
) -> IdEncoder | TextEncoder:
    """Id and text columns, built from the dtype alone: no value is read."""
    if spec.kind is ColumnKind.TEXT:
        return TextEncoder.fit(series, spec, FitOptions(), rng)
    dtype = str(series.dtype)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        start = int(spec.upper) + 1 if spec.upper is not None else 1
        return IdEncoder(spec.name, mode="integer", start=start, dtype="int64")
    return IdEncoder(spec.name, mode="uuid", dtype=dtype if dtype in _ID_STRING_DTYPES else "str")


def _other_from_state(spec: ColumnSpec, state: Mapping[str, Any]) -> IdEncoder | TextEncoder:
    if spec.kind is ColumnKind.TEXT:
        return TextEncoder.from_state(spec, state)
    return IdEncoder.from_state(spec, state)


def _public_facts(schema: Schema, others: Mapping[str, IdEncoder | TextEncoder]) -> tuple[str, ...]:
    facts = [
        "the number of rows (it sets the default δ)",
        "the schema: column kinds, dtypes, datetime formats and time zones",
    ]
    declared = [c.name for c in schema.columns if c.categories is not None]
    if declared:
        facts.append(f"declared category sets: {', '.join(declared)}")
    bounded = [c.name for c in schema.columns if c.lower is not None or c.upper is not None]
    bounded = [name for name in bounded if name in schema.modelled]
    if bounded:
        facts.append(f"declared numeric bounds: {', '.join(bounded)}")
    for name, encoder in others.items():
        if isinstance(encoder, IdEncoder) and encoder.mode == "integer":
            facts.append(
                f"id column {name!r}: new keys count up from {encoder.start} "
                "(no real key is read; declare its upper bound to stay above the real keys)"
            )
        elif isinstance(encoder, IdEncoder):
            facts.append(f"id column {name!r}: new keys are random UUIDs")
    return tuple(facts)

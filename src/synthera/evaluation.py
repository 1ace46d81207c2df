"""`evaluate` one synthetic table, or `compare` several, against the real table.

Every metric is computed for the synthetic table and, as its reference, for the real
holdout (rows the generator never saw) — the level no generator beats by more than noise.
Costs are bounded by seeded subsamples, each recorded in the Report.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from threadpoolctl import threadpool_limits

from synthera.errors import ColumnNotFoundError, ParameterError, SchemaError
from synthera.io import split_holdout
from synthera.metrics import fairness, fidelity, privacy, privacy_attacks, utility
from synthera.metrics.result import MetricResult
from synthera.metrics.sampling import sample_rows
from synthera.progress import ProgressCallback, report
from synthera.report.generator import GeneratorInfo
from synthera.report.report import Comparison, Report
from synthera.report.scorecard import scorecard
from synthera.schema import ColumnKind, Schema

if TYPE_CHECKING:
    from synthera.transformer_eval import TransformerEvaluator, TransformerOptions

HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class EvaluationLimits:
    """Row caps that bound time and memory; every cap applied is noted in the Report."""

    fidelity_rows: int = 50_000  # per table, for column and pair metrics
    detection_rows: int = 10_000  # per side, for the detection classifier and pMSE
    utility_rows: int = 20_000  # training rows per model (and test rows)
    privacy_rows: int = 10_000  # synthetic and holdout rows for distances
    privacy_train_rows: int = 50_000  # training rows searched for neighbours
    attacks: int = 2_000  # targets (and predicates) per privacy attack
    # Gradient boosting's OpenMP threads spin while they wait for each other: on a machine
    # whose cores are busy with other work, two threads ran 10-50x slower than one.
    openmp_threads: int | None = 1


_FIDELITY_COLUMNS = (
    fidelity.ks_statistic,
    fidelity.wasserstein,
    fidelity.range_coverage,
    fidelity.total_variation,
    fidelity.chi_square,
    fidelity.category_coverage,
    fidelity.missing_rate_difference,
)
_STEPS = ("fidelity", "utility", "privacy", "fairness")


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    schema: Schema | None = None,
    target: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    limits: EvaluationLimits | None = None,
    name: str = "synthetic",
    transformers: TransformerOptions | None = None,
    generator: GeneratorInfo | None = None,
) -> Report:
    """Evaluate `synthetic` against `real` (the generator's training rows).

    Without `holdout`, 20 % of `real` is held out (seeded, stratified on the target)
    and the Report says so; the remaining 80 % then plays the training table. Without
    `schema` one is inferred from `real`. `target` enables utility and fairness,
    `sensitive` (column names) fairness; both override the schema's roles. `transformers`
    adds the transformer evaluation (needs a target and the `transformers` extra).
    `generator` (e.g. `GeneratorInfo.of(model)`) puts the model's privacy guarantee, or
    the fact that it has none, into the report.
    """
    evaluator = Evaluator(real, holdout, schema, target, sensitive, seed, limits)
    fine_tuner = _transformer_evaluator(evaluator, transformers)
    result = evaluator.run(synthetic, name=name, progress=progress, generator=generator)
    if fine_tuner is not None:
        fine_tuner.run(synthetic, progress=progress).attach_to(result)
    return result


def compare(
    real: pd.DataFrame,
    synthetic: Mapping[str, pd.DataFrame],
    holdout: pd.DataFrame | None = None,
    schema: Schema | None = None,
    target: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    limits: EvaluationLimits | None = None,
    transformers: TransformerOptions | None = None,
    generators: Mapping[str, GeneratorInfo] | None = None,
) -> Comparison:
    """Evaluate several synthetic tables (name -> table) on the same split and seed;
    `transformers` adds a transformer column family (fine-tuned on the real rows once);
    `generators` (name -> GeneratorInfo) states the privacy of the tables it names."""
    if not synthetic:
        raise ParameterError("compare needs at least one synthetic table")
    generators = dict(generators or {})
    unknown = [name for name in generators if name not in synthetic]
    if unknown:
        raise ParameterError(
            f"generators given for tables that are not compared: {_listed(unknown)} "
            f"(tables: {_listed(synthetic)})"
        )
    evaluator = Evaluator(real, holdout, schema, target, sensitive, seed, limits)
    fine_tuner = _transformer_evaluator(evaluator, transformers)
    reports = []
    for name, table in synthetic.items():
        result = evaluator.run(table, name=name, progress=progress, generator=generators.get(name))
        if fine_tuner is not None:
            fine_tuner.run(table, progress=progress).attach_to(result)
        reports.append(result)
    return Comparison(reports, notes=list(evaluator.notes))


def _transformer_evaluator(
    evaluator: Evaluator, options: TransformerOptions | None
) -> TransformerEvaluator | None:
    """The transformer side on the evaluator's split, checked before any other work."""
    if options is None:
        return None
    from synthera.transformer_eval import TransformerEvaluator

    if evaluator.schema.target is None:
        raise ParameterError("transformer evaluation needs a target column")
    return TransformerEvaluator(
        evaluator.train,
        evaluator.holdout,
        evaluator.schema.target,
        options=options,
        seed=evaluator.seed,
        schema=evaluator.schema,
    )


def _names(value: Sequence[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def check_columns(table: pd.DataFrame, schema: Schema, what: str) -> None:
    """The table must hold every evaluated column and nothing the real table lacks."""
    if len(table) == 0:
        raise ParameterError(f"the {what} table has no rows")
    present = {str(c) for c in table.columns}
    missing = [c for c in schema.modelled if c not in present]
    extra = sorted(present - set(schema.names))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {_listed(missing)}")
        if extra:
            parts.append(f"extra {_listed(extra)}")
        raise SchemaError(
            f"the {what} table's columns do not match the real table: {'; '.join(parts)}"
        )


def _listed(names: Iterable[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class Evaluator:
    """The real side of an evaluation, prepared once: schema, split, samples, references.

    `run(synthetic)` evaluates one synthetic table; the reference results (holdout vs
    train) are computed on the first run and reused, so `compare` pays for them once.
    """

    def __init__(
        self,
        real: pd.DataFrame,
        holdout: pd.DataFrame | None,
        schema: Schema | None,
        target: str | None,
        sensitive: Sequence[str] | str | None,
        seed: int,
        limits: EvaluationLimits | None,
    ) -> None:
        if len(real) == 0:
            raise ParameterError("the real table has no rows")
        self.seed = int(seed)
        self.limits = limits or EvaluationLimits()
        self.notes: list[str] = []
        sensitive_names = _names(sensitive)
        columns = [str(c) for c in real.columns]
        for role, name in [("target", target), *(("sensitive", n) for n in sensitive_names or [])]:
            if name is not None and name not in columns:
                raise ColumnNotFoundError(
                    f"{role} column {name!r} does not exist (columns: {_listed(columns)})"
                )
        if schema is None:
            schema = Schema.infer(real, target=target, sensitive=sensitive_names or ())
        elif target is not None or sensitive_names is not None:
            schema = schema.with_overrides(target=target, sensitive=sensitive_names)
        schema.validate(real)
        self._check_roles(schema)
        self.schema = schema
        if not schema.modelled:
            raise SchemaError("no column to evaluate: every column is an id or free text")
        if holdout is None:
            self.train, self.holdout = split_holdout(
                real, fraction=HOLDOUT_FRACTION, seed=self.seed, stratify=schema.target
            )
            self.notes.append(
                f"No holdout was given: {len(self.holdout):,} of the {len(real):,} real rows "
                f"({HOLDOUT_FRACTION:.0%}, seed {self.seed}"
                + (f", stratified on {schema.target!r}" if schema.target else "")
                + ") were held out as the reference and the other "
                f"{len(self.train):,} played the training table. For a fair verdict, pass "
                "the rows the generator was not trained on as the holdout."
            )
        else:
            check_columns(holdout, schema, "holdout")
            self.train, self.holdout = real.reset_index(drop=True), holdout.reset_index(drop=True)
        if len(self.holdout) < 10:
            raise ParameterError(f"the holdout has {len(self.holdout)} rows; at least 10 needed")
        self.sampling: list[dict[str, Any]] = []
        lim = self.limits
        self.fidelity_train = self._sample(self.train, lim.fidelity_rows, 0, "fidelity", "train")
        self.fidelity_holdout = self._sample(
            self.holdout, lim.fidelity_rows, 1, "fidelity", "holdout"
        )
        self._references: dict[str, MetricResult] = {}
        self._real_runs: dict[str, utility.ModelRun] | None = None
        self._privacy_base: privacy.PrivacySamples | None = None
        self._last_run: utility.UtilityRun | None = None  # shared by utility and fairness

    def _check_roles(self, schema: Schema) -> None:
        for name in [schema.target, *schema.sensitive]:
            if name is not None and schema[name].kind in (ColumnKind.ID, ColumnKind.TEXT):
                raise SchemaError(
                    f"column {name!r} is {schema[name].kind.value}, so it cannot be a target "
                    "or sensitive column (override its kind in the schema)"
                )

    def _sample(
        self, df: pd.DataFrame, cap: int | None, offset: int, family: str, table: str
    ) -> pd.DataFrame:
        sampled = sample_rows(df, cap, self.seed + offset)
        if len(sampled) < len(df):
            self.sampling.append(
                {
                    "family": family,
                    "table": table,
                    "rows": len(sampled),
                    "of": len(df),
                    "seed": self.seed + offset,
                }
            )
        return sampled

    # ---- one synthetic table ---------------------------------------------------------

    def run(
        self,
        synthetic: pd.DataFrame,
        *,
        name: str = "synthetic",
        progress: ProgressCallback | None = None,
        generator: GeneratorInfo | None = None,
    ) -> Report:
        check_columns(synthetic, self.schema, "synthetic")
        synthetic = synthetic.reset_index(drop=True)
        sampling = list(self.sampling)
        notes = list(self.notes)
        timings: dict[str, float] = {}
        metrics: list[MetricResult] = []
        stage = f"evaluate {name}"
        with threadpool_limits(limits=self.limits.openmp_threads, user_api="openmp"):
            for step, family in enumerate(_STEPS):
                report(progress, stage, step, len(_STEPS))
                started = time.perf_counter()
                metrics += getattr(self, f"_{family}")(synthetic, sampling, notes)
                timings[family] = round(time.perf_counter() - started, 3)
        report(progress, stage, len(_STEPS), len(_STEPS))
        distributions = fidelity.column_distributions(
            self.fidelity_train, self._fidelity_synthetic(synthetic, []), self.schema
        )
        return Report(
            name=name,
            metrics=metrics,
            scorecard=scorecard(metrics),
            distributions=distributions,
            notes=notes,
            sampling=sampling,
            settings={
                "seed": self.seed,
                "target": self.schema.target,
                "sensitive": list(self.schema.sensitive),
                "limits": asdict(self.limits),
                "holdout_fraction": HOLDOUT_FRACTION if self.notes else None,
            },
            tables={
                "train_rows": len(self.train),
                "holdout_rows": len(self.holdout),
                "synthetic_rows": len(synthetic),
                "columns": len(self.schema.columns),
                "evaluated_columns": len(self.schema.modelled),
            },
            schema=self.schema.to_dict(),
            timings=timings,
            generator=generator,
        )

    def _fidelity_synthetic(
        self, synthetic: pd.DataFrame, sampling: list[dict[str, Any]]
    ) -> pd.DataFrame:
        # As many synthetic rows as holdout rows: both comparisons then carry the same noise.
        n = min(len(self.fidelity_holdout), self.limits.fidelity_rows)
        sampled = sample_rows(synthetic, n, self.seed + 2)
        if len(sampled) < len(synthetic):
            sampling.append(
                {
                    "family": "fidelity",
                    "table": "synthetic",
                    "rows": len(sampled),
                    "of": len(synthetic),
                    "seed": self.seed + 2,
                    "why": "as many rows as the holdout, so that the synthetic table and its "
                    "reference are compared with the same noise",
                }
            )
        return sampled

    def _reference(self, key: str, compute: Any) -> MetricResult:
        if key not in self._references:
            self._references[key] = compute(self.fidelity_train, self.fidelity_holdout)
        return self._references[key]

    def _fidelity(
        self, synthetic: pd.DataFrame, sampling: list[dict[str, Any]], notes: list[str]
    ) -> list[MetricResult]:
        train, schema = self.fidelity_train, self.schema
        syn = self._fidelity_synthetic(synthetic, sampling)
        if len(syn) < len(self.fidelity_holdout):
            notes.append(
                f"The synthetic table has fewer rows ({len(syn):,}) than the holdout "
                f"({len(self.fidelity_holdout):,}): its fidelity metrics carry more noise "
                "than their references."
            )
        lim, seed = self.limits, self.seed
        metrics: list[MetricResult] = []
        for fn in _FIDELITY_COLUMNS:
            ref = self._reference(fn.__name__, lambda r, h, f=fn: f(r, h, schema))
            metrics.append(fn(train, syn, schema).with_reference(ref))
        for method in ("pearson", "spearman"):
            ref = self._reference(
                method,
                lambda r, h, m=method: fidelity.correlation_difference(r, h, schema, method=m),
            )
            result = fidelity.correlation_difference(train, syn, schema, method=method)
            metrics.append(result.with_reference(ref))
        for fn in (fidelity.association_difference, fidelity.contingency_tvd):
            ref = self._reference(fn.__name__, lambda r, h, f=fn: f(r, h, schema))
            metrics.append(fn(train, syn, schema).with_reference(ref))
        for fn in (fidelity.pmse, fidelity.detection_auc):
            ref = self._reference(
                fn.__name__,
                lambda r, h, f=fn: f(r, h, schema, seed=seed, max_rows=lim.detection_rows),
            )
            metrics.append(
                fn(train, syn, schema, seed=seed, max_rows=lim.detection_rows).with_reference(ref)
            )
        if min(len(train), len(syn)) > lim.detection_rows:
            sampling.append(
                {
                    "family": "fidelity",
                    "table": "train and synthetic (detection, pMSE)",
                    "rows": lim.detection_rows,
                    "of": min(len(train), len(syn)),
                    "seed": seed,
                }
            )
        metrics.append(fidelity.fidelity_score({m.name: m for m in metrics}))
        return metrics

    def _utility(
        self, synthetic: pd.DataFrame, sampling: list[dict[str, Any]], notes: list[str]
    ) -> list[MetricResult]:
        self._last_run = None
        others = [c for c in self.schema.modelled if c != self.schema.target]
        if self.schema.target is None or not others:
            why = (
                "no target column given"
                if self.schema.target is None
                else ("no column besides the target")
            )
            notes.append(f"Utility and model fairness were not evaluated: {why}.")
            return [
                MetricResult(
                    "tstr_roc_auc",
                    "utility",
                    "ROC-AUC (train synthetic, test real)",
                    None,
                    "higher",
                    1.0,
                    skipped=why,
                )
            ]
        cap = self.limits.utility_rows
        run = utility.utility(
            self.train,
            synthetic,
            self.schema,
            holdout=self.holdout,
            seed=self.seed,
            max_train_rows=cap,
            real_runs=self._real_runs,
        )
        self._real_runs = run.real_runs
        self._last_run = run
        notes += run.notes
        for table, n in (
            ("train", len(self.train)),
            ("synthetic", len(synthetic)),
            ("holdout", len(self.holdout)),
        ):
            if n > cap:
                sampling.append(
                    {"family": "utility", "table": table, "rows": cap, "of": n, "seed": self.seed}
                )
        return run.results

    def _privacy(
        self, synthetic: pd.DataFrame, sampling: list[dict[str, Any]], notes: list[str]
    ) -> list[MetricResult]:
        lim, schema = self.limits, self.schema
        if self._privacy_base is None:
            samples = privacy.privacy_samples(
                self.train,
                synthetic,
                self.holdout,
                schema,
                seed=self.seed,
                max_rows=lim.privacy_rows,
                max_train_rows=lim.privacy_train_rows,
            )
        else:
            samples = self._privacy_base.with_synthetic(synthetic, lim.privacy_rows)
        for table, n, cap in (
            ("train", len(self.train), lim.privacy_train_rows),
            ("holdout", len(self.holdout), lim.privacy_rows),
            ("synthetic", len(synthetic), lim.privacy_rows),
        ):
            if n > cap:
                sampling.append(
                    {
                        "family": "privacy",
                        "table": table,
                        "rows": cap,
                        "of": n,
                        "seed": samples.seed,
                    }
                )
        options: dict[str, Any] = {"holdout": self.holdout, "samples": samples}
        metrics = [
            privacy.dcr_share(self.train, synthetic, schema, **options),
            privacy.nndr(self.train, synthetic, schema, **options),
            privacy.exact_copies(self.train, synthetic, schema, holdout=self.holdout),
            *privacy.membership_inference(self.train, synthetic, schema, **options),
            privacy_attacks.singling_out(samples, schema, n_attacks=lim.attacks),
            privacy_attacks.linkability(samples, schema, n_attacks=lim.attacks),
            privacy_attacks.attribute_inference(
                samples, schema, secrets=self._secrets(), n_attacks=lim.attacks
            ),
        ]
        self._privacy_base = samples
        return metrics

    def _secrets(self) -> list[str]:
        """Columns an attacker would want to learn: the target and the sensitive ones."""
        names = [self.schema.target, *self.schema.sensitive]
        return list(dict.fromkeys(n for n in names if n is not None))

    def _fairness(
        self, synthetic: pd.DataFrame, sampling: list[dict[str, Any]], notes: list[str]
    ) -> list[MetricResult]:
        run = self._last_run
        sensitive = list(self.schema.sensitive)
        if run is None:
            return [
                MetricResult(
                    "target_rate_gap",
                    "fairness",
                    "Target-rate gap between groups (largest)",
                    None,
                    "lower",
                    0.0,
                    skipped="no target column given"
                    if self.schema.target is None
                    else "no model to judge",
                )
            ]
        if not sensitive:
            notes.append("No sensitive columns: fairness was not evaluated.")
        results = fairness.group_rates(
            self.fidelity_train,
            self._fidelity_synthetic(synthetic, []),
            self.schema,
            task=run.task,
            sensitive=sensitive,
            holdout=self.fidelity_holdout,
        )
        results += fairness.model_fairness(run, self.train, self.schema, sensitive=sensitive)
        return results

import type { Figure } from "./types";

// Reading a Report's JSON (synthera.evaluate(...).to_dict()) without depending on more of
// its shape than the scorecard and the metric list; anything else is shown generically.

export interface Card {
  family: string;
  status: string;
  headline: string;
  reasons: string[];
  value: number | null;
  reference: number | null;
}

export interface MetricRow {
  name: string;
  family: string;
  label: string;
  value: number | null;
  reference: number | null;
  direction: string | null;
  ideal: number | null;
  skipped: string | null;
}

type Json = Record<string, unknown>;

const num = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

export function scorecard(report: Json): Card[] {
  const raw = report.scorecard;
  const items: [string, Json][] = Array.isArray(raw)
    ? raw.map((item: Json, i) => [String(item.family ?? item.name ?? i), item])
    : raw && typeof raw === "object"
      ? Object.entries(raw as Record<string, Json>)
      : [];
  return items.map(([family, item]) => ({
    family,
    status: String(item.status ?? "grey"),
    headline: String(item.headline ?? ""),
    reasons: Array.isArray(item.reasons) ? item.reasons.map(String) : [],
    value: num(item.value),
    reference: num(item.reference),
  }));
}

export function metrics(report: Json): MetricRow[] {
  const raw = report.metrics;
  if (!Array.isArray(raw)) return [];
  return raw.map((item: Json) => ({
    name: String(item.name),
    family: String(item.family ?? ""),
    label: String(item.label ?? item.name),
    value: num(item.value),
    reference: num(item.reference),
    direction: typeof item.direction === "string" ? item.direction : null,
    ideal: num(item.ideal),
    skipped: typeof item.skipped === "string" && item.skipped ? item.skipped : null,
  }));
}

/** Whether `a` beats `b` for this metric ("higher" is better, or closest to ideal). */
export function better(metric: MetricRow, a: number | null, b: number | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  if (metric.direction === "higher") return a > b;
  const ideal = metric.ideal ?? 0;
  return Math.abs(a - ideal) < Math.abs(b - ideal);
}

/** Per metric name: the index of the best value among several reports (none when tied). */
export function bestIndexes(rows: (MetricRow | undefined)[]): number[] {
  const present = rows.filter((row): row is MetricRow => row !== undefined && row.value !== null);
  if (present.length < 2) return [];
  const winners = rows
    .map((row, i) => [row, i] as const)
    .filter(
      ([row]) =>
        row !== undefined &&
        row.value !== null &&
        !present.some((other) => better(row, other.value, row.value)),
    )
    .map(([, i]) => i);
  return winners.length < present.length ? winners : [];
}

export function format(value: number | null): string {
  if (value === null) return "—";
  if (Number.isInteger(value)) return value.toLocaleString();
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(3);
}

export function notes(report: Json): string[] {
  return Array.isArray(report.notes) ? report.notes.map(String) : [];
}

/** The report's sections, in the HTML report's order and words. */
export const SECTIONS: [string, string][] = [
  ["fidelity", "Fidelity: does the synthetic table look like the real one?"],
  ["utility", "Utility: can you learn from the synthetic table?"],
  ["privacy", "Privacy: does the synthetic table give away real people?"],
  ["fairness", "Fairness: are groups treated as in the real data?"],
];

export interface FigureGroup {
  section: string;
  group: string;
  heading: string;
  figures: Figure[];
}

/** Consecutive figures of one group (say the three Cramér's V maps) under one heading. */
export function groupFigures(figures: Figure[]): FigureGroup[] {
  const out: FigureGroup[] = [];
  for (const figure of figures) {
    const last = out[out.length - 1];
    if (last && last.group === figure.group && last.section === figure.section) {
      last.figures.push(figure);
    } else {
      out.push({
        section: figure.section,
        group: figure.group,
        heading: figure.heading,
        figures: [figure],
      });
    }
  }
  return out;
}

export interface GroupRow {
  group: string;
  real_share: number | null;
  synthetic_share: number | null;
  holdout_share: number | null;
  real_rate: number | null;
  synthetic_rate: number | null;
  holdout_rate: number | null;
}

export interface GroupTable {
  column: string;
  rate: string; // what the rate is, e.g. "P(income = >50K)"
  rows: GroupRow[];
}

/** Per sensitive column: each group's share and target rate (the fairness tables). */
export function groupTables(report: Json): GroupTable[] {
  const raw = Array.isArray(report.metrics) ? (report.metrics as Json[]) : [];
  const gap = raw.find((item) => item.name === "target_rate_gap");
  const details = (gap?.details ?? {}) as Json;
  const groups = (details.groups ?? {}) as Record<string, Json[]>;
  const rate =
    details.positive !== undefined && details.positive !== null
      ? `P(${String(details.target)} = ${String(details.positive)})`
      : `mean ${String(details.target)}`;
  return Object.entries(groups).map(([column, rows]) => ({
    column,
    rate,
    rows: rows.map((row) => ({
      group: String(row.group),
      real_share: num(row.real_share),
      synthetic_share: num(row.synthetic_share),
      holdout_share: num(row.holdout_share),
      real_rate: num(row.real_rate),
      synthetic_rate: num(row.synthetic_rate),
      holdout_rate: num(row.holdout_rate),
    })),
  }));
}

export function percent(value: number | null): string {
  return value === null ? "—" : `${(100 * value).toFixed(1)} %`;
}

export interface LedgerPart {
  name: string;
  epsilon: number | null;
  delta: number | null;
  mechanism: string;
}

export interface Ledger {
  epsilonSpent: number | null;
  epsilonTarget: number | null;
  deltaSpent: number | null;
  deltaTarget: number | null;
  accountant: string;
  parts: LedgerPart[];
  public: string[];
}

/** The generator's privacy as the report states it: its ledger, or null when it was
 * trained without differential privacy. */
export interface Guarantee {
  generator: string | null;
  ledger: Ledger | null;
}

/** What the report says about its generator's privacy; undefined when it says nothing
 * (a synthetic table of unknown origin). */
export function guarantee(report: Json): Guarantee | undefined {
  if (!("privacy" in report)) return undefined;
  const generator = typeof report.generator === "string" ? report.generator : null;
  const raw = report.privacy;
  if (!raw || typeof raw !== "object") return { generator, ledger: null };
  const ledger = raw as Json;
  const parts = Array.isArray(ledger.parts) ? (ledger.parts as Json[]) : [];
  return {
    generator,
    ledger: {
      epsilonSpent: num(ledger.epsilon_spent),
      epsilonTarget: num(ledger.epsilon_target),
      deltaSpent: num(ledger.delta_spent),
      deltaTarget: num(ledger.delta_target),
      accountant: String(ledger.accountant ?? ""),
      parts: parts.map((part) => ({
        name: String(part.name ?? ""),
        epsilon: num(part.epsilon),
        delta: num(part.delta),
        mechanism: String(part.mechanism ?? ""),
      })),
      public: Array.isArray(ledger.public) ? ledger.public.map(String) : [],
    },
  };
}

/** ε and δ as the HTML report writes them: three and two significant digits. */
export function budget(value: number | null, digits: number): string {
  return value === null ? "—" : String(Number(value.toPrecision(digits)));
}

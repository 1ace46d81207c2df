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

export interface Distribution {
  column: string;
  data: unknown[];
  barmode: "overlay" | "group";
}

/** Real vs synthetic shares per column, as the HTML report draws them. */
export function distributions(report: Json): Distribution[] {
  const raw = report.distributions;
  if (!raw || typeof raw !== "object") return [];
  const out: Distribution[] = [];
  for (const [column, value] of Object.entries(raw as Record<string, Json>)) {
    if (!value || !Array.isArray(value.real) || !Array.isArray(value.synthetic)) continue;
    if (value.kind === "numeric" && Array.isArray(value.edges)) {
      const edges = value.edges as number[];
      const centres = edges.slice(1).map((edge, i) => (edge + edges[i]) / 2);
      const width = edges.length > 1 ? edges[1] - edges[0] : 1;
      out.push({
        column,
        barmode: "overlay",
        data: ["real", "synthetic"].map((side) => ({
          type: "bar",
          name: side,
          x: centres,
          y: value[side],
          width,
          opacity: 0.55,
        })),
      });
    } else if (Array.isArray(value.categories)) {
      out.push({
        column,
        barmode: "group",
        data: ["real", "synthetic"].map((side) => ({
          type: "bar",
          name: side,
          x: (value.categories as unknown[]).map(String),
          y: value[side],
        })),
      });
    }
  }
  return out;
}

/** One family's metrics as bars: the synthetic value beside the holdout reference. */
export function familyChart(rows: MetricRow[]): unknown[] {
  const shown = rows.filter(
    (row) => row.value !== null && Math.abs(row.value) <= 1.5 && !row.skipped,
  );
  if (shown.length === 0) return [];
  return [
    { type: "bar", name: "synthetic", x: shown.map((r) => r.label), y: shown.map((r) => r.value) },
    {
      type: "bar",
      name: "reference (holdout)",
      x: shown.map((r) => r.label),
      y: shown.map((r) => r.reference),
    },
  ];
}

import { useEffect, useMemo, useState } from "react";
import { get } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { PlotlyChart } from "../components/PlotlyChart";
import { bestIndexes, format, metrics, scorecard, type MetricRow } from "../report";
import type { Evaluation, Run, SyntheticTable } from "../types";

interface Loaded {
  evaluation: Evaluation;
  name: string;
  report: Record<string, unknown>;
}

/** Several synthetic versions of one dataset side by side; the best value per row marked. */
export function ComparePage({ datasetId }: { datasetId: string }) {
  const [loaded, setLoaded] = useState<Loaded[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const query = `?dataset_id=${encodeURIComponent(datasetId)}`;
    Promise.all([
      get<Evaluation[]>(`/evaluations${query}`),
      get<SyntheticTable[]>(`/synthetic-tables${query}`),
      get<Run[]>(`/runs${query}`),
    ])
      .then(async ([evaluations, tables, runs]) => {
        const done = evaluations.filter((e) => e.job.status === "succeeded");
        const reports = await Promise.all(
          done.map((e) => get<Record<string, unknown>>(`/evaluations/${e.id}/report`)),
        );
        setLoaded(
          done.map((evaluation, i) => {
            const table = tables.find((t) => t.id === evaluation.synthetic_id);
            const run = runs.find((r) => r.id === table?.run_id);
            const name = `${run?.synthesizer ?? "table"} · ${table?.n_rows ?? "?"} rows · ${evaluation.id.slice(0, 6)}`;
            return { evaluation, name, report: reports[i] };
          }),
        );
      })
      .catch(setError);
  }, [datasetId]);

  const names = loaded.map((item) => item.name);
  const perReport = useMemo(() => loaded.map((item) => metrics(item.report)), [loaded]);
  const allNames = [...new Set(perReport.flat().map((row) => row.name))];
  const chart = useMemo(
    () =>
      loaded.map((item) => {
        const cards = scorecard(item.report);
        return {
          type: "bar",
          name: item.name,
          x: cards.map((card) => card.family),
          y: cards.map((card) => card.value),
        };
      }),
    [loaded],
  );

  return (
    <main>
      <p>
        <Link href={`/datasets/${datasetId}`}>← Dataset</Link>
      </p>
      <h1>Compare synthetic versions</h1>
      <ErrorMessage error={error} />
      {loaded.length < 2 && <p>Evaluate at least two synthetic tables of this dataset.</p>}
      {loaded.length >= 2 && (
        <>
          <PlotlyChart
            data={chart}
            layout={{ barmode: "group", title: { text: "Scorecards side by side" } }}
            label="Scorecard values of each synthetic table"
          />
          <div className="scroll">
            <table>
              <caption>Every metric; the best value in each row is marked ★</caption>
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col">Reference</th>
                  {names.map((name) => (
                    <th key={name} scope="col">
                      {name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {allNames.map((metricName) => {
                  const rows: (MetricRow | undefined)[] = perReport.map((list) =>
                    list.find((row) => row.name === metricName),
                  );
                  const first = rows.find((row) => row !== undefined)!;
                  const best = bestIndexes(rows);
                  return (
                    <tr key={metricName}>
                      <th scope="row">
                        {first.label} <span className="hint">{first.family}</span>
                      </th>
                      <td>{format(first.reference)}</td>
                      {rows.map((row, i) => (
                        <td key={i} className={best.includes(i) ? "best" : ""}>
                          {format(row?.value ?? null)}
                          {best.includes(i) && <span aria-label="best"> ★</span>}
                        </td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </main>
  );
}

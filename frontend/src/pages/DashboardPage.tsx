import { useEffect, useMemo, useState } from "react";
import { API, get } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { MetricsTable } from "../components/MetricsTable";
import { PlotlyChart } from "../components/PlotlyChart";
import { Scorecard } from "../components/Scorecard";
import { distributions, familyChart, metrics, notes, scorecard } from "../report";
import type { Evaluation } from "../types";

/** The report of one evaluation: scorecard, every metric beside its reference, the
 * distributions, and the full HTML report (heatmaps, ROC curves) a click away. */
export function DashboardPage({ id }: { id: string }) {
  const [evaluation, setEvaluation] = useState<Evaluation | null>(null);
  const [report, setReport] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    get<Evaluation>(`/evaluations/${id}`).then(setEvaluation, setError);
    get<Record<string, unknown>>(`/evaluations/${id}/report`).then(setReport, setError);
  }, [id]);

  const cards = useMemo(() => (report ? scorecard(report) : []), [report]);
  const rows = useMemo(() => (report ? metrics(report) : []), [report]);
  const columns = useMemo(() => (report ? distributions(report) : []), [report]);
  const families = [...new Set(rows.map((row) => row.family))];

  return (
    <main>
      {evaluation && (
        <p>
          <Link href={`/datasets/${evaluation.dataset_id}`}>← Dataset</Link>
        </p>
      )}
      <h1>Evaluation dashboard</h1>
      <ErrorMessage error={error} />
      {report && (
        <>
          <p className="row">
            <a href={`${API}/evaluations/${id}/report.html?download=true`}>
              Download the HTML report
            </a>
            {evaluation && (
              <a href={`${API}/synthetic-tables/${evaluation.synthetic_id}/download`}>
                Download the synthetic table (CSV)
              </a>
            )}
          </p>
          <section aria-labelledby="scorecard-title">
            <h2 id="scorecard-title">Scorecard</h2>
            <Scorecard cards={cards} />
          </section>
          {notes(report).length > 0 && (
            <ul className="notes">
              {notes(report).map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          )}
          <section aria-labelledby="metrics-title">
            <h2 id="metrics-title">Every metric beside its reference</h2>
            {families.map((family) => {
              const familyRows = rows.filter((row) => row.family === family);
              const chart = familyChart(familyRows);
              return (
                <div key={family} className="family">
                  <MetricsTable family={family} rows={familyRows} />
                  {chart.length > 0 && (
                    <PlotlyChart
                      data={chart}
                      layout={{ barmode: "group", title: { text: `${family}: synthetic vs reference` } }}
                      label={`${family} metrics of the synthetic table beside the holdout reference`}
                    />
                  )}
                </div>
              );
            })}
          </section>
          {columns.length > 0 && (
            <section aria-labelledby="columns-title">
              <h2 id="columns-title">Column distributions: real vs synthetic</h2>
              <div className="charts">
                {columns.map((column) => (
                  <PlotlyChart
                    key={column.column}
                    data={column.data}
                    layout={{ barmode: column.barmode, title: { text: column.column }, height: 280 }}
                    label={`Distribution of ${column.column}, real and synthetic`}
                  />
                ))}
              </div>
            </section>
          )}
          <p>
            <a href={`${API}/evaluations/${id}/report.html`} target="_blank" rel="noreferrer">
              Open the full HTML report
            </a>{" "}
            (correlation heatmaps, distance histograms, ROC curves)
          </p>
        </>
      )}
    </main>
  );
}

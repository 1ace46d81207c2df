import { useEffect, useMemo, useState } from "react";
import { API, get } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { GroupTable } from "../components/GroupTable";
import { Link } from "../components/Link";
import { MetricsTable } from "../components/MetricsTable";
import { PlotlyChart } from "../components/PlotlyChart";
import { PrivacyGuarantee } from "../components/PrivacyGuarantee";
import { Scorecard } from "../components/Scorecard";
import {
  groupFigures,
  groupTables,
  guarantee,
  metrics,
  notes,
  scorecard,
  SECTIONS,
} from "../report";
import type { Evaluation, Figures } from "../types";

/** The report of one evaluation, as the HTML report shows it: the scorecard, then per
 * family every metric beside its reference and the same charts (the server builds them
 * with the report's own code and sends them as Plotly JSON). */
export function DashboardPage({ id }: { id: string }) {
  const [evaluation, setEvaluation] = useState<Evaluation | null>(null);
  const [report, setReport] = useState<Record<string, unknown> | null>(null);
  const [figures, setFigures] = useState<Figures | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    get<Evaluation>(`/evaluations/${id}`).then(setEvaluation, setError);
    get<Record<string, unknown>>(`/evaluations/${id}/report`).then(setReport, setError);
    get<Figures>(`/evaluations/${id}/figures`).then(setFigures, setError);
  }, [id]);

  const cards = useMemo(() => (report ? scorecard(report) : []), [report]);
  const rows = useMemo(() => (report ? metrics(report) : []), [report]);
  // Each figure's layout with the template the server sent once for all of them.
  const groups = useMemo(() => {
    const template = figures?.template;
    const withTemplate = (figures?.figures ?? []).map((f) => ({
      ...f,
      figure: { ...f.figure, layout: template ? { ...f.figure.layout, template } : f.figure.layout },
    }));
    return groupFigures(withTemplate);
  }, [figures]);
  const tables = useMemo(() => (report ? groupTables(report) : []), [report]);
  const privacy = useMemo(() => (report ? guarantee(report) : undefined), [report]);

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
          {privacy && <PrivacyGuarantee guarantee={privacy} />}
          {notes(report).length > 0 && (
            <ul className="notes">
              {notes(report).map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          )}
          {SECTIONS.map(([section, title]) => {
            const sectionRows = rows.filter((row) => row.family === section);
            const sectionGroups = groups.filter((group) => group.section === section);
            if (sectionRows.length === 0 && sectionGroups.length === 0) return null;
            return (
              <section key={section} className="family" aria-labelledby={`${section}-title`}>
                <h2 id={`${section}-title`}>{title}</h2>
                {sectionRows.length > 0 && <MetricsTable family={section} rows={sectionRows} />}
                {sectionGroups.map((group) => {
                  const table = tables.find((t) => `groups:${t.column}` === group.group);
                  return (
                    <div key={group.group}>
                      <h3 className="chart-heading">{group.heading}</h3>
                      {table && <GroupTable table={table} />}
                      <div className={group.figures.some((f) => f.tall) ? "charts tall" : "charts"}>
                        {group.figures.map((figure) => (
                          <PlotlyChart
                            key={figure.label}
                            data={figure.figure.data}
                            layout={figure.figure.layout}
                            label={figure.label}
                            tall={figure.tall}
                          />
                        ))}
                      </div>
                    </div>
                  );
                })}
              </section>
            );
          })}
          {figures === null && !error && <p>Drawing the charts…</p>}
        </>
      )}
    </main>
  );
}

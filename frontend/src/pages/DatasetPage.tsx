import { useCallback, useEffect, useState } from "react";
import { API, del, get, post, put } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { JobProgress } from "../components/JobProgress";
import { Link } from "../components/Link";
import { PreviewTable } from "../components/PreviewTable";
import { SchemaEditor } from "../components/SchemaEditor";
import { TrainForm } from "../components/TrainForm";
import { GenerateForm } from "../components/GenerateForm";
import { navigate } from "../router";
import type {
  Dataset,
  Evaluation,
  Preview,
  Run,
  SchemaJson,
  Synthesizer,
  Project,
  SyntheticTable,
} from "../types";

/** One dataset, top to bottom: preview → schema → train → generate → evaluate. */
export function DatasetPage({ id, userId }: { id: string; userId: string }) {
  const [dataset, setDataset] = useState<Dataset | null>(null);
  const [projects, setProjects] = useState<Project[]>([]);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [synthesizers, setSynthesizers] = useState<Synthesizer[]>([]);
  const [runs, setRuns] = useState<Run[]>([]);
  const [tables, setTables] = useState<SyntheticTable[]>([]);
  const [evaluations, setEvaluations] = useState<Evaluation[]>([]);
  const [error, setError] = useState<unknown>(null);

  const refresh = useCallback(() => {
    const query = `?dataset_id=${encodeURIComponent(id)}`;
    Promise.all([
      get<Run[]>(`/runs${query}`).then(setRuns),
      get<SyntheticTable[]>(`/synthetic-tables${query}`).then(setTables),
      get<Evaluation[]>(`/evaluations${query}`).then(setEvaluations),
    ]).catch(setError);
  }, [id]);

  useEffect(() => {
    get<Dataset>(`/datasets/${id}`).then(setDataset, setError);
    get<Preview>(`/datasets/${id}/preview?rows=10`).then(setPreview, setError);
    get<Synthesizer[]>("/synthesizers").then(setSynthesizers, setError);
    get<Project[]>("/projects").then(setProjects, setError);
    refresh();
  }, [id, refresh]);

  if (!dataset) return <main>{error ? <ErrorMessage error={error} /> : <p>Loading…</p>}</main>;

  async function saveSchema(schema: SchemaJson) {
    setDataset(await put<Dataset>(`/datasets/${id}/schema`, schema));
  }

  async function share(projectId: string) {
    setError(null);
    try {
      setDataset(await put<Dataset>(`/datasets/${id}/project`, { project_id: projectId || null }));
    } catch (exc) {
      setError(exc);
    }
  }

  async function train(synthesizer: string, params: Record<string, unknown>, seed: number) {
    await post<Run>("/runs", { dataset_id: id, synthesizer, params, seed });
    refresh();
  }

  async function remove() {
    if (!window.confirm(`Delete ${dataset!.name} and everything made from it?`)) return;
    try {
      await del(`/datasets/${id}`);
      navigate("/");
    } catch (exc) {
      setError(exc);
    }
  }

  const finishedRuns = runs.filter((run) => run.job.status === "succeeded");
  const doneEvaluations = evaluations.filter((e) => e.job.status === "succeeded");

  return (
    <main>
      <p>
        <Link href="/">← Datasets</Link>
      </p>
      <h1>{dataset.name}</h1>
      <p className="hint">
        {dataset.n_rows.toLocaleString()} rows ({dataset.n_train.toLocaleString()} to learn from,{" "}
        {dataset.n_holdout.toLocaleString()} kept aside for evaluation) ·{" "}
        {dataset.columns.length} columns ·{" "}
        <a href={`${API}/datasets/${id}/file`}>download the original</a> ·{" "}
        {dataset.owner_id === userId && (
          <button type="button" className="link" onClick={() => void remove()}>
            delete
          </button>
        )}
      </p>
      {dataset.owner_id !== userId ? (
        <p className="hint">
          Shared with you in project{" "}
          {projects.find((p) => p.id === dataset.project_id)?.name ?? dataset.project_id}.
        </p>
      ) : (projects.length > 0 || dataset.project_id) && (
        <label className="inline">
          Shared with
          <select
            aria-label="Shared with"
            value={dataset.project_id ?? ""}
            onChange={(event) => void share(event.target.value)}
          >
            <option value="">nobody (private)</option>
            {projects.map((project) => (
              <option key={project.id} value={project.id}>
                project {project.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {dataset.notes.length > 0 && (
        <ul className="notes">
          {dataset.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      <ErrorMessage error={error} />

      <section className="card" aria-labelledby="preview-title">
        <h2 id="preview-title">1. Preview</h2>
        {preview && <PreviewTable preview={preview} caption="Training rows" />}
      </section>

      <section className="card" aria-labelledby="schema-title">
        <h2 id="schema-title">2. Schema</h2>
        <SchemaEditor columns={dataset.columns} schema={dataset.schema} onSave={saveSchema} />
      </section>

      <section className="card" aria-labelledby="train-title">
        <h2 id="train-title">3. Train a generator</h2>
        {synthesizers.length > 0 && <TrainForm synthesizers={synthesizers} onTrain={train} />}
        <ul className="items" aria-label="Training runs">
          {runs.map((run) => (
            <li key={run.id}>
              <strong>{run.synthesizer}</strong>{" "}
              <span className="hint">{JSON.stringify(run.params)}</span>
              <JobProgress job={run.job} onChange={refresh} />
              {run.job.status === "succeeded" && (
                <a href={`${API}/runs/${run.id}/model.zip`}>download the model</a>
              )}
            </li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby="generate-title">
        <h2 id="generate-title">4. Generate rows</h2>
        {finishedRuns.length === 0 ? (
          <p>Train a generator first.</p>
        ) : (
          <GenerateForm runs={finishedRuns} schema={dataset.schema} onCreated={refresh} />
        )}
        <ul className="items" aria-label="Synthetic tables">
          {tables.map((table) => (
            <li key={table.id}>
              <strong>{table.n_rows.toLocaleString()} rows</strong>{" "}
              <span className="hint">
                from {runs.find((r) => r.id === table.run_id)?.synthesizer ?? "a run"}
                {table.rebalance ? `, rebalanced on ${table.rebalance}` : ""}
                {table.ratios
                  ? ` (${Object.entries(table.ratios)
                      .map(([label, weight]) => `${label}=${weight}`)
                      .join(", ")})`
                  : ""}
                {table.conditions ? `, where ${JSON.stringify(table.conditions)}` : ""}
              </span>
              <JobProgress job={table.job} onChange={refresh} />
              {table.job.status === "succeeded" && (
                <span className="row">
                  <a href={`${API}/synthetic-tables/${table.id}/download?format=csv`}>CSV</a>
                  <a href={`${API}/synthetic-tables/${table.id}/download?format=parquet`}>
                    Parquet
                  </a>
                  <button
                    type="button"
                    onClick={() =>
                      void post("/evaluations", { synthetic_id: table.id }).then(refresh, setError)
                    }
                  >
                    Evaluate
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby="evaluate-title">
        <h2 id="evaluate-title">5. Evaluations</h2>
        {evaluations.length === 0 && <p>Evaluate a synthetic table to see its report.</p>}
        <ul className="items" aria-label="Evaluations">
          {evaluations.map((evaluation) => (
            <li key={evaluation.id}>
              Evaluation of {evaluation.synthetic_id.slice(0, 8)}
              <JobProgress job={evaluation.job} onChange={refresh} />
              {evaluation.job.status === "succeeded" && (
                <Link href={`/evaluations/${evaluation.id}`}>Open the dashboard</Link>
              )}
            </li>
          ))}
        </ul>
        {doneEvaluations.length >= 2 && (
          <Link href={`/datasets/${id}/compare`}>Compare synthetic versions side by side</Link>
        )}
      </section>
    </main>
  );
}

import { useRef, useState, type DragEvent } from "react";
import { upload } from "../api";
import type { Project } from "../types";
import { ErrorMessage } from "./ErrorMessage";

/** Drop a CSV or Parquet file here (or pick one); shows the upload's progress. */
export function UploadBox({
  projects = [],
  onUploaded,
}: {
  projects?: Project[];
  onUploaded: (id: string) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [share, setShare] = useState<number | null>(null);
  const [holdout, setHoldout] = useState("0.2");
  const [seed, setSeed] = useState("0");
  const [project, setProject] = useState("");
  const [error, setError] = useState<unknown>(null);

  async function send(file: File) {
    setError(null);
    setShare(0);
    try {
      const fields: Record<string, string> = { holdout_fraction: holdout, seed };
      if (project) fields.project_id = project;
      const { id } = await upload(file, fields, setShare);
      onUploaded(id);
    } catch (exc) {
      setError(exc);
    } finally {
      setShare(null);
    }
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void send(file);
  }

  return (
    <section aria-labelledby="upload-title" className="card">
      <h2 id="upload-title">Upload a table</h2>
      <div
        role="group"
        aria-label="Drop a table file here"
        className={`dropzone ${dragging ? "dragging" : ""}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop a CSV or Parquet file here, or</p>
        <button type="button" onClick={() => input.current?.click()} disabled={share !== null}>
          Choose a file
        </button>
        <input
          ref={input}
          type="file"
          aria-label="Table file"
          accept=".csv,.tsv,.txt,.gz,.zip,.parquet,.pq"
          hidden
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void send(file);
            event.target.value = "";
          }}
        />
      </div>
      <div className="row">
        <label>
          Holdout share
          <input
            type="number"
            min="0"
            max="0.9"
            step="any"
            value={holdout}
            onChange={(event) => setHoldout(event.target.value)}
          />
        </label>
        <label>
          Split seed
          <input
            type="number"
            min="0"
            value={seed}
            onChange={(event) => setSeed(event.target.value)}
          />
        </label>
        {projects.length > 0 && (
          <label>
            Share with
            <select value={project} onChange={(event) => setProject(event.target.value)}>
              <option value="">nobody (private)</option>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  project {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {share !== null && (
        <progress aria-label="Upload progress" max={1} value={share}>
          {Math.round(share * 100)}%
        </progress>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

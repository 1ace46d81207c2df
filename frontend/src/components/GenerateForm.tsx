import { useState } from "react";
import { post } from "../api";
import type { Run, SchemaJson } from "../types";
import { ErrorMessage } from "./ErrorMessage";

/** `"yes=0.7, no=0.3"` → `{ yes: 0.7, no: 0.3 }`, as the CLI's --ratios reads it: the last
 * `=` of each part splits the class from its weight, so a class may contain `=`. */
export function parseRatios(text: string): Record<string, number> | null {
  if (!text.trim()) return null;
  const ratios: Record<string, number> = {};
  for (const part of text.split(",")) {
    const cut = part.lastIndexOf("=");
    const label = part.slice(0, Math.max(cut, 0)).trim();
    const weight = part.slice(cut + 1).trim();
    if (cut < 0 || !label || weight === "" || !Number.isFinite(Number(weight))) {
      throw new Error(`class mix part "${part.trim()}" must look like class=weight`);
    }
    if (Number(weight) < 0) throw new Error(`the weight of ${label} must not be negative`);
    ratios[label] = Number(weight);
  }
  return ratios;
}

/** Generate N rows from a trained run: plainly, with fixed values, or rebalanced (equal
 * class shares, or a class mix of your choosing). */
export function GenerateForm({
  runs,
  schema,
  onCreated,
}: {
  runs: Run[];
  schema: SchemaJson;
  onCreated: () => void;
}) {
  const [runId, setRunId] = useState(runs[0]?.id ?? "");
  const [rows, setRows] = useState("1000");
  const [seed, setSeed] = useState("0");
  const [mode, setMode] = useState<"plain" | "conditions" | "rebalance">("plain");
  const [column, setColumn] = useState("");
  const [value, setValue] = useState("");
  const [mix, setMix] = useState("");
  const [error, setError] = useState<unknown>(null);
  const columns = schema.columns.map((c) => c.name);

  async function submit() {
    setError(null);
    const body: Record<string, unknown> = {
      run_id: runId || runs[0]?.id,
      n_rows: Number(rows),
      seed: Number(seed) || 0,
    };
    if (mode === "conditions") body.conditions = { [column || columns[0]]: value };
    try {
      if (mode === "rebalance") {
        body.rebalance = column || columns[0];
        body.ratios = parseRatios(mix);
      }
      await post("/synthetic-tables", body);
      onCreated();
    } catch (exc) {
      setError(exc);
    }
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <div className="grid">
        <label>
          Trained generator
          <select aria-label="Trained generator" value={runId} onChange={(event) => setRunId(event.target.value)}>
            {runs.map((run) => (
              <option key={run.id} value={run.id}>
                {run.synthesizer} ({new Date(run.created_at).toLocaleTimeString()})
              </option>
            ))}
          </select>
        </label>
        <label>
          Rows to generate
          <input
            type="number"
            min="1"
            required
            value={rows}
            onChange={(event) => setRows(event.target.value)}
          />
        </label>
        <label>
          Seed
          <input
            type="number"
            min="0"
            value={seed}
            onChange={(event) => setSeed(event.target.value)}
          />
        </label>
        <label>
          How
          <select aria-label="How to generate" value={mode} onChange={(event) => setMode(event.target.value as typeof mode)}>
            <option value="plain">like the real table</option>
            <option value="conditions">with a column fixed to a value</option>
            <option value="rebalance">rebalanced on a column</option>
          </select>
        </label>
        {mode !== "plain" && (
          <label>
            Column
            <select aria-label="Column" value={column} onChange={(event) => setColumn(event.target.value)}>
              {columns.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          </label>
        )}
        {mode === "rebalance" && (
          <label>
            Class mix (optional)
            <input
              value={mix}
              placeholder="e.g. yes=0.7, no=0.3"
              aria-describedby="mix-hint"
              onChange={(event) => setMix(event.target.value)}
            />
            <span id="mix-hint" className="hint">
              class=weight, separated by commas; empty gives every class an equal share
            </span>
          </label>
        )}
        {mode === "conditions" && (
          <label>
            Value
            <input required value={value} onChange={(event) => setValue(event.target.value)} />
          </label>
        )}
      </div>
      <button type="submit">Generate</button>
      <ErrorMessage error={error} />
    </form>
  );
}

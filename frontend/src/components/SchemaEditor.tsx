import { useState } from "react";
import type { ColumnSpec, SchemaJson } from "../types";
import { ErrorMessage } from "./ErrorMessage";

export const KINDS = ["numeric", "integer", "categorical", "boolean", "datetime", "id", "text"];

interface Row {
  name: string;
  kind: string;
  keep: boolean;
  sensitive: boolean;
  spec: ColumnSpec | null;
}

function rowsOf(columns: string[], schema: SchemaJson): Row[] {
  return columns.map((name) => {
    const spec = schema.columns.find((c) => c.name === name) ?? null;
    return {
      name,
      kind: spec?.kind ?? "categorical",
      keep: spec !== null,
      sensitive: schema.sensitive.includes(name),
      spec,
    };
  });
}

/** The schema as rows: a kind per column, keep or drop, target and sensitive roles. */
export function SchemaEditor({
  columns,
  schema,
  onSave,
}: {
  columns: string[];
  schema: SchemaJson;
  onSave: (schema: SchemaJson) => Promise<void>;
}) {
  const [rows, setRows] = useState(() => rowsOf(columns, schema));
  const [target, setTarget] = useState(schema.target ?? "");
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const change = (name: string, patch: Partial<Row>) => {
    setSaved(false);
    setRows((old) => old.map((row) => (row.name === name ? { ...row, ...patch } : row)));
  };

  async function save() {
    setSaving(true);
    setError(null);
    const kept = rows.filter((row) => row.keep);
    const result: SchemaJson = {
      ...schema,
      columns: kept.map((row) => {
        const base = row.spec && row.spec.kind === row.kind ? row.spec : { name: row.name };
        return { ...base, name: row.name, kind: row.kind };
      }),
      target: target && kept.some((row) => row.name === target) ? target : null,
      sensitive: kept.filter((row) => row.sensitive).map((row) => row.name),
    };
    try {
      await onSave(result);
      setSaved(true);
    } catch (exc) {
      setError(exc);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <div className="scroll">
        <table>
          <caption>Columns: what each one is and the role it plays</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Kind</th>
              <th scope="col">Keep</th>
              <th scope="col">Target</th>
              <th scope="col">Sensitive</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name} className={row.keep ? "" : "dropped"}>
                <th scope="row">{row.name}</th>
                <td>
                  <select
                    aria-label={`Kind of ${row.name}`}
                    value={row.kind}
                    onChange={(event) => change(row.name, { kind: event.target.value })}
                  >
                    {KINDS.map((kind) => (
                      <option key={kind}>{kind}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Keep ${row.name}`}
                    checked={row.keep}
                    onChange={(event) => change(row.name, { keep: event.target.checked })}
                  />
                </td>
                <td>
                  <input
                    type="radio"
                    name="target"
                    aria-label={`${row.name} is the target`}
                    checked={target === row.name}
                    onChange={() => {
                      setSaved(false);
                      setTarget(row.name);
                    }}
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${row.name} is sensitive`}
                    checked={row.sensitive}
                    onChange={(event) => change(row.name, { sensitive: event.target.checked })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="row">
        <button type="button" className="secondary" onClick={() => setTarget("")}>
          No target
        </button>
        <button type="submit" disabled={saving}>
          Save schema
        </button>
        {saved && <span role="status">Schema saved.</span>}
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

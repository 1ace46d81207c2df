import type { Preview } from "../types";

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value);
}

/** The first rows of a table. */
export function PreviewTable({ preview, caption }: { preview: Preview; caption: string }) {
  return (
    <div className="scroll">
      <table>
        <caption>
          {caption} — first {preview.rows.length} of {preview.n_rows.toLocaleString()} rows
        </caption>
        <thead>
          <tr>
            {preview.columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j}>{formatCell(cell)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

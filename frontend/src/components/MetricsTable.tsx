import { format, type MetricRow } from "../report";

/** Every metric of one family beside its real-vs-real reference. */
export function MetricsTable({ family, rows }: { family: string; rows: MetricRow[] }) {
  return (
    <div className="scroll">
      <table>
        <caption>{family}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Synthetic</th>
            <th scope="col">Reference (holdout)</th>
            <th scope="col">Better</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              <th scope="row">{row.label}</th>
              {row.skipped ? (
                <td colSpan={3} className="hint">
                  skipped: {row.skipped}
                </td>
              ) : (
                <>
                  <td>{format(row.value)}</td>
                  <td>{format(row.reference)}</td>
                  <td className="hint">
                    {row.direction === "higher" ? "higher" : `closer to ${format(row.ideal ?? 0)}`}
                  </td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

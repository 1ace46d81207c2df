import { format, percent, type GroupTable as Table } from "../report";

/** One sensitive column's groups: their size and target rate in real, synthetic and
 * holdout rows (the holdout is the real-vs-real reference). */
export function GroupTable({ table }: { table: Table }) {
  return (
    <div className="scroll">
      <table>
        <caption>Groups of {table.column}</caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Share real</th>
            <th scope="col">Share synthetic</th>
            <th scope="col">Share holdout</th>
            <th scope="col">{table.rate} real</th>
            <th scope="col">{table.rate} synthetic</th>
            <th scope="col">{table.rate} holdout</th>
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.group}>
              <th scope="row">{row.group}</th>
              <td>{percent(row.real_share)}</td>
              <td>{percent(row.synthetic_share)}</td>
              <td>{percent(row.holdout_share)}</td>
              <td>{format(row.real_rate)}</td>
              <td>{format(row.synthetic_rate)}</td>
              <td>{format(row.holdout_rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

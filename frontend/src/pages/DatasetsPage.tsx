import { useEffect, useState } from "react";
import { get } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { UploadBox } from "../components/UploadBox";
import { navigate } from "../router";
import type { Dataset } from "../types";

export function DatasetsPage() {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    get<Dataset[]>("/datasets").then(setDatasets, setError);
  }, []);

  return (
    <main>
      <h1>Datasets</h1>
      <UploadBox onUploaded={(id) => navigate(`/datasets/${id}`)} />
      <ErrorMessage error={error} />
      {datasets && datasets.length === 0 && <p>No dataset yet: upload a table above.</p>}
      {datasets && datasets.length > 0 && (
        <table>
          <caption>Your datasets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Rows</th>
              <th scope="col">Columns</th>
              <th scope="col">Uploaded</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((dataset) => (
              <tr key={dataset.id}>
                <th scope="row">
                  <Link href={`/datasets/${dataset.id}`}>{dataset.name}</Link>
                </th>
                <td>{dataset.n_rows.toLocaleString()}</td>
                <td>{dataset.columns.length}</td>
                <td>{new Date(dataset.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

import { useEffect, useState } from "react";
import { get } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { UploadBox } from "../components/UploadBox";
import { navigate } from "../router";
import type { Dataset, Project } from "../types";

export function DatasetsPage() {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [projects, setProjects] = useState<Project[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    get<Dataset[]>("/datasets").then(setDatasets, setError);
    get<Project[]>("/projects").then(setProjects, setError);
  }, []);

  return (
    <main>
      <h1>Datasets</h1>
      <UploadBox projects={projects} onUploaded={(id) => navigate(`/datasets/${id}`)} />
      <ErrorMessage error={error} />
      {datasets && datasets.length === 0 && <p>No dataset yet: upload a table above.</p>}
      {datasets && datasets.length > 0 && (
        <table>
          <caption>Your datasets and those shared with you</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Rows</th>
              <th scope="col">Columns</th>
              <th scope="col">Shared with</th>
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
                <td>
                  {dataset.project_id
                    ? (projects.find((p) => p.id === dataset.project_id)?.name ?? "a project")
                    : "private"}
                </td>
                <td>{new Date(dataset.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

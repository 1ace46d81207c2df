import { useCallback, useEffect, useState } from "react";
import { del, get, post } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import type { Project } from "../types";

/** Shared projects: members see and use the datasets put in a project, and everything made
 * from them. The owner adds people by their user name. */
export function ProjectsPage({ userId }: { userId: string }) {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);

  const refresh = useCallback(() => {
    get<Project[]>("/projects").then(setProjects, setError);
  }, []);
  useEffect(refresh, [refresh]);

  async function create() {
    setError(null);
    try {
      await post<Project>("/projects", { name });
      setName("");
      refresh();
    } catch (exc) {
      setError(exc);
    }
  }

  return (
    <main>
      <h1>Projects</h1>
      <p className="hint">
        Put a dataset in a project (on its page) to share it: the project's members see it, train
        on it and read every report made from it. Nobody else can.
      </p>
      <form
        className="card row"
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <label>
          New project
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit">Create project</button>
      </form>
      <ErrorMessage error={error} />
      {projects && projects.length === 0 && <p>You belong to no project yet.</p>}
      {projects?.map((project) => (
        <ProjectCard key={project.id} project={project} userId={userId} onChange={refresh} />
      ))}
    </main>
  );
}

function ProjectCard({
  project,
  userId,
  onChange,
}: {
  project: Project;
  userId: string;
  onChange: () => void;
}) {
  const [username, setUsername] = useState("");
  const [error, setError] = useState<unknown>(null);
  const owner = project.owner_id === userId;

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      onChange();
    } catch (exc) {
      setError(exc);
    }
  }

  return (
    <section className="card" aria-labelledby={`project-${project.id}`}>
      <h2 id={`project-${project.id}`}>{project.name}</h2>
      <ul className="items" aria-label={`Members of ${project.name}`}>
        {project.members.map((member) => (
          <li key={member.id} className="row">
            <span>
              {member.username}
              {member.id === project.owner_id && <span className="hint"> (owner)</span>}
            </span>
            {member.id !== project.owner_id && (owner || member.id === userId) && (
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  void act(() => del(`/projects/${project.id}/members/${member.id}`))
                }
              >
                {member.id === userId ? "Leave" : `Remove ${member.username}`}
              </button>
            )}
          </li>
        ))}
      </ul>
      {owner && (
        <form
          className="row"
          onSubmit={(event) => {
            event.preventDefault();
            void act(async () => {
              await post(`/projects/${project.id}/members`, { username });
              setUsername("");
            });
          }}
        >
          <label>
            Add a member by user name
            <input required value={username} onChange={(e) => setUsername(e.target.value)} />
          </label>
          <button type="submit">Add member</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              if (window.confirm(`Delete ${project.name}? Its datasets become private again.`)) {
                void act(() => del(`/projects/${project.id}`));
              }
            }}
          >
            Delete project
          </button>
        </form>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

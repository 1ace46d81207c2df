import { useEffect, useState } from "react";
import { ApiError, get, post, setCsrfToken } from "./api";
import { Link } from "./components/Link";
import { ComparePage } from "./pages/ComparePage";
import { DashboardPage } from "./pages/DashboardPage";
import { DatasetPage } from "./pages/DatasetPage";
import { DatasetsPage } from "./pages/DatasetsPage";
import { LoginPage } from "./pages/LoginPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { match, navigate, useLocation } from "./router";
import type { SessionInfo } from "./types";

function Page({ path, userId }: { path: string; userId: string }) {
  if (path === "/projects") return <ProjectsPage userId={userId} />;
  let params = match("/datasets/:id/compare", path);
  if (params) return <ComparePage datasetId={params.id} />;
  params = match("/datasets/:id", path);
  if (params) return <DatasetPage key={params.id} id={params.id} userId={userId} />;
  params = match("/evaluations/:id", path);
  if (params) return <DashboardPage key={params.id} id={params.id} />;
  return <DatasetsPage />;
}

export function App() {
  const location = useLocation();
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);

  useEffect(() => {
    get<SessionInfo>("/auth/me").then(
      (info) => {
        setCsrfToken(info.csrf_token);
        setSession(info);
      },
      (exc) => setSession(exc instanceof ApiError && exc.status === 401 ? null : null),
    );
  }, []);

  if (session === undefined) return <p className="narrow">Loading…</p>;
  if (session === null) {
    const token = location.pathname === "/setup" ? location.searchParams.get("token") : null;
    return (
      <LoginPage
        setupToken={token}
        onSignedIn={(info) => {
          setSession(info);
          if (token) navigate("/");
        }}
      />
    );
  }

  async function signOut() {
    await post("/auth/logout").catch(() => undefined);
    setCsrfToken(null);
    setSession(null);
    navigate("/");
  }

  return (
    <>
      <header className="top">
        <Link href="/" className="brand">
          Synthera
        </Link>
        <nav aria-label="Account">
          <Link href="/projects">Projects</Link>
          <span>{session.user.username}</span>
          <a href="/api/v1/docs">API</a>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </nav>
      </header>
      <Page path={location.pathname} userId={session.user.id} />
    </>
  );
}

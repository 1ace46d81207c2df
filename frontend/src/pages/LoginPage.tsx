import { useState } from "react";
import { post, setCsrfToken, signIn } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import type { SessionInfo } from "../types";

/** Sign in; with a setup token in the address, create the first admin instead. */
export function LoginPage({
  setupToken,
  onSignedIn,
}: {
  setupToken: string | null;
  onSignedIn: (session: SessionInfo) => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      if (setupToken) {
        const session = await post<SessionInfo>("/auth/setup", {
          token: setupToken,
          username,
          password,
        });
        setCsrfToken(session.csrf_token);
        onSignedIn(session);
      } else {
        onSignedIn(await signIn(username, password));
      }
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="narrow">
      <h1>Synthera</h1>
      <form
        className="card"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <h2>{setupToken ? "Create the first admin account" : "Sign in"}</h2>
        <label>
          User name
          <input
            autoComplete="username"
            value={username}
            required
            onChange={(event) => setUsername(event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete={setupToken ? "new-password" : "current-password"}
            value={password}
            required
            minLength={setupToken ? 8 : undefined}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          {setupToken ? "Create account" : "Sign in"}
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}

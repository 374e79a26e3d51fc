// Sign in with the orchestrator's API token. It is checked against the API before it is kept,
// and kept only in this tab's sessionStorage.
import { useState } from "preact/hooks";
import { checkToken } from "../api.ts";
import { ErrorNote } from "../components.tsx";
import { saveToken } from "../session.ts";

/** The sign-in form; calls `onSignedIn` once the API accepted the token. */
export function LoginPage({ onSignedIn, notice }: { onSignedIn: () => void; notice?: string }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await checkToken(token.trim());
      saveToken(token.trim());
      setToken("");
      onSignedIn();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <form class="panel login-form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sagaworks inspector</h1>
        <p>
          Sign in with the orchestrator's API token (<code>ORCHESTRATOR_API_TOKEN</code>). It stays
          in this tab only and is forgotten when the tab closes.
        </p>
        {notice ? <p class="notice">{notice}</p> : null}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          minLength={16}
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        {error ? <ErrorNote error={error} label="The API refused the token" /> : null}
      </form>
    </main>
  );
}

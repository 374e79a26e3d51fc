// The inspector's shell: sign-in, navigation and the hash router.
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { setUnauthorizedHandler } from "./api.ts";
import { DeadLettersPage } from "./pages/dead-letters.tsx";
import { DefinitionsPage } from "./pages/definitions.tsx";
import { LoginPage } from "./pages/login.tsx";
import { SagaPage } from "./pages/saga.tsx";
import { SagasPage } from "./pages/sagas.tsx";
import { parseRoute } from "./route.ts";
import { clearToken, readToken } from "./session.ts";

/** Moves keyboard focus to the page's heading (the skip link and every route change). */
function focusHeading() {
  const heading = document.querySelector<HTMLElement>("main h1");
  heading?.setAttribute("tabindex", "-1");
  heading?.focus({ preventScroll: true });
}

function App() {
  const [signedIn, setSignedIn] = useState(readToken() !== null);
  const [notice, setNotice] = useState<string | undefined>();
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onHash = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onHash);
    setUnauthorizedHandler(() => {
      setNotice("The API refused the token (401); sign in again.");
      setSignedIn(false);
    });
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    // Each view starts at its heading, so a screen reader announces it.
    if (hash) focusHeading();
  }, [hash, signedIn]);

  if (!signedIn) {
    return (
      <LoginPage
        {...(notice ? { notice } : {})}
        onSignedIn={() => {
          setNotice(undefined);
          setSignedIn(true);
        }}
      />
    );
  }
  const route = parseRoute(hash);
  return (
    <>
      <button type="button" class="skip-link" onClick={focusHeading}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Sagaworks inspector</span>
        <nav aria-label="Pages">
          <a
            href="#/sagas"
            aria-current={route.page === "sagas" || route.page === "saga" ? "page" : undefined}
          >
            Sagas
          </a>
          <a href="#/definitions" aria-current={route.page === "definitions" ? "page" : undefined}>
            Definitions
          </a>
          <a
            href="#/dead-letters"
            aria-current={route.page === "dead-letters" ? "page" : undefined}
          >
            Dead letters
          </a>
        </nav>
        <button
          type="button"
          class="secondary sign-out"
          onClick={() => {
            clearToken();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      {route.page === "saga" ? (
        <SagaPage key={route.id} id={route.id} />
      ) : route.page === "definitions" ? (
        <DefinitionsPage />
      ) : route.page === "dead-letters" ? (
        <DeadLettersPage key={route.queue ?? ""} queue={route.queue} />
      ) : (
        <SagasPage params={route.filters} />
      )}
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);

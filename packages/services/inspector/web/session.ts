// The API token lives in this tab's sessionStorage only: never in a URL, a cookie or
// localStorage, and gone when the tab closes.
const TOKEN_KEY = "sagaworks.inspector.token";
const ACTOR_KEY = "sagaworks.inspector.actor";

/** The token this tab signed in with, if any. */
export function readToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps the token for this tab. */
export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Forgets the token (sign out, or the API refused it). */
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Who the operator said they are, recorded as the actor of their actions. */
export function readActor(): string {
  return sessionStorage.getItem(ACTOR_KEY) ?? "";
}

/** Remembers the operator's name for this tab. */
export function saveActor(actor: string): void {
  sessionStorage.setItem(ACTOR_KEY, actor);
}

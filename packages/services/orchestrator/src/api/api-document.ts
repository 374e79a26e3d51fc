import { silentLogger } from "@sagaworks/platform";
import { buildApi } from "./app.ts";

/**
 * Stands in for every port: building the routes never calls one, and asking for the document
 * runs no route, so any call is a mistake worth a loud error.
 */
const unused: never = new Proxy(
  {},
  {
    get: (_target, name) => () => {
      throw new Error(`the API document's stand-in port was called (${String(name)})`);
    },
  },
) as never;

/**
 * The OpenAPI document of a fully equipped orchestrator API (inspector reads, outside events,
 * dead letters, retention), as a running orchestrator serves it at `/docs/json`, without a
 * database, a broker or a running orchestrator: the routes' schemas are all it is made of.
 */
export async function apiDocument(): Promise<unknown> {
  const app = await buildApi({
    sagas: unused,
    definitions: unused,
    metrics: unused,
    logger: silentLogger(),
    apiToken: "api-document-token",
    isReady: () => true,
    deadLetters: unused,
    events: unused,
    inspector: { reads: unused, uiDir: "/nonexistent" },
    retention: {
      control: unused,
      settings: {
        retentionMs: 0,
        inboxRetentionMs: 0,
        archiveIndexRetentionMs: 0,
        archive: "none",
        pausedByConfig: false,
      },
      clock: () => new Date(),
    },
  });
  try {
    const response = await app.inject({ method: "GET", url: "/docs/json" });
    return response.json();
  } finally {
    await app.close();
  }
}

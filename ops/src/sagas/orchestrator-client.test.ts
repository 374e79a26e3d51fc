import { describe, expect, it } from "vitest";
import { OrchestratorClient, resolveOrchestratorClientOptions } from "./orchestrator-client.ts";

function fakeFetch(body: unknown, seen: { auth?: string | null; url?: string }) {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    seen.url = String(url);
    seen.auth = new Headers(init?.headers).get("authorization");
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
}

/** A row in the columns' snake_case, which the API does not answer. */
const snake = {
  id: "a",
  saga_name: "create-order",
  saga_version: 1,
  status: "running",
  state: "step:x",
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:01:00.000Z",
};
const camel = {
  id: "a",
  name: "create-order",
  version: 1,
  status: "running",
  state: "step:x",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:01:00.000Z",
};

describe("OrchestratorClient", () => {
  it("reads a list row as the API declares it, sending the bearer token on reads", async () => {
    const seen: { auth?: string | null; url?: string } = {};
    const client = new OrchestratorClient({
      baseUrl: "http://o/",
      token: "token-0123456789",
      fetch: fakeFetch({ items: [camel], nextCursor: null }, seen),
    });
    expect(await client.listSagas({ status: "running" })).toEqual([camel]);
    expect(seen.auth).toBe("Bearer token-0123456789");
    expect(seen.url).toBe("http://o/sagas?limit=200&status=running");
  });

  it("refuses an answer that does not match the API, naming what was asked and the field", async () => {
    const client = new OrchestratorClient({
      baseUrl: "http://o",
      token: "token-0123456789",
      fetch: fakeFetch({ items: [snake], nextCursor: null }, {}),
    });
    const listing = client.listSagas();
    await expect(listing).rejects.toMatchObject({ code: "OPS_ORCHESTRATOR_FAILED" });
    await expect(listing).rejects.toThrow(
      /^listing sagas: the orchestrator's answer does not match its API:\n.*→ at items\[0\]\.name/s,
    );
  });
});

describe("OrchestratorClient timers and outbox", () => {
  it("maps a saga's timers, sending the bearer token", async () => {
    const seen: { auth?: string | null; url?: string } = {};
    const client = new OrchestratorClient({
      baseUrl: "http://o",
      token: "token-0123456789",
      fetch: fakeFetch(
        [
          {
            id: "t1",
            fireAt: "2026-01-01T00:10:00.000Z",
            event: { type: "retry-timer", step: "refund", attempt: 2, compensation: true },
          },
          { id: "t2", fireAt: "2026-01-01T01:00:00.000Z", event: { type: "saga-deadline" } },
        ],
        seen,
      ),
    });
    expect(await client.getTimers("a")).toEqual([
      {
        id: "t1",
        fireAt: "2026-01-01T00:10:00.000Z",
        type: "retry-timer",
        step: "refund",
        attempt: 2,
        compensation: true,
      },
      {
        id: "t2",
        fireAt: "2026-01-01T01:00:00.000Z",
        type: "saga-deadline",
        step: null,
        attempt: null,
        compensation: false,
      },
    ]);
    expect(seen.auth).toBe("Bearer token-0123456789");
    expect(seen.url).toBe("http://o/sagas/a/timers");
  });

  it("names an outbox row by its HTTP call, sending the bearer token", async () => {
    const seen: { auth?: string | null; url?: string } = {};
    const message = {
      transport: "http",
      service: "customer",
      method: "GET",
      path: "/customers/c1",
      step: "verify-customer",
    };
    const client = new OrchestratorClient({
      baseUrl: "http://o",
      token: "token-0123456789",
      fetch: fakeFetch(
        [
          {
            id: "7",
            kind: "http",
            destination: "customer",
            message,
            attempts: 1,
            lastError: null,
            availableAt: "2026-01-01T00:00:05.000Z",
            createdAt: "2026-01-01T00:00:00.000Z",
          },
        ],
        seen,
      ),
    });
    expect(await client.getOutbox("a")).toEqual([
      expect.objectContaining({
        id: "7",
        what: "GET customer /customers/c1",
        step: "verify-customer",
        attempts: 1,
        message,
      }),
    ]);
    expect(seen.auth).toBe("Bearer token-0123456789");
    expect(seen.url).toBe("http://o/sagas/a/outbox");
  });

  it("answers null when the orchestrator does not serve the routes", async () => {
    const notFound = (async () => new Response("{}", { status: 404 })) as typeof fetch;
    const client = new OrchestratorClient({
      baseUrl: "http://o",
      token: "token-0123456789",
      fetch: notFound,
    });
    expect(await client.getTimers("a")).toBeNull();
    expect(await client.getOutbox("a")).toBeNull();
  });
});

describe("resolveOrchestratorClientOptions", () => {
  it("gives an explicit undefined the default, as if the key were absent", () => {
    const explicit = resolveOrchestratorClientOptions({
      baseUrl: "http://o//",
      token: "token-0123456789",
      fetch: undefined,
      timeoutMs: undefined,
    });
    expect(explicit).toMatchObject({
      baseUrl: "http://o",
      token: "token-0123456789",
      timeoutMs: 15_000,
    });
    expect(typeof explicit.fetch).toBe("function");
    const absent = resolveOrchestratorClientOptions({
      baseUrl: "http://o",
      token: "token-0123456789",
    });
    expect({ ...absent, fetch: null }).toEqual({ ...explicit, fetch: null });
  });

  it("sends requests through the fetch it was given", async () => {
    const seen: { auth?: string | null; url?: string } = {};
    const client = new OrchestratorClient({
      baseUrl: "http://o",
      token: "token-0123456789",
      fetch: fakeFetch({ items: [], nextCursor: null }, seen),
      timeoutMs: 1_000,
    });
    expect(await client.listSagas({ limit: 5 })).toEqual([]);
    expect(seen.url).toBe("http://o/sagas?limit=5");
  });
});

import { describe, expect, it } from "vitest";
import { OrchestratorClient } from "./orchestrator-client.ts";

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
  it.each([
    ["snake_case", snake],
    ["camelCase", camel],
  ])("maps a %s list row, sending the bearer token on reads", async (_shape, row) => {
    const seen: { auth?: string | null; url?: string } = {};
    const client = new OrchestratorClient(
      "http://o/",
      "token-0123456789",
      fakeFetch({ items: [row], nextCursor: null }, seen),
    );
    expect(await client.listSagas({ status: "running" })).toEqual([camel]);
    expect(seen.auth).toBe("Bearer token-0123456789");
    expect(seen.url).toBe("http://o/sagas?limit=200&status=running");
  });
});

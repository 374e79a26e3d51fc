// The inspector's routes: search (name, status, age, text) with cursor paging, counts per status,
// a saga's pending timers and unsent outbox rows, the token on every read, and the app at /ui.
// The orchestrator is built but its workers are not started, so the HTTP step's outbox row and
// the saga deadline timer of each saga stay where the routes can show them.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@sagaworks/platform";
import { createServiceApp } from "@sagaworks/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectorPage } from "../src/api/inspector-routes.ts";
import { API_TOKEN, orchestratorForFile, orderInput, shippedDefinitions } from "./harness.ts";

let base: string;
const sagas: Record<string, string> = {};
const auth = { authorization: `Bearer ${API_TOKEN}` };

async function get(path: string, headers: Record<string, string> = auth) {
  const response = await fetch(`${base}${path}`, { headers });
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert on them.
  return { status: response.status, body: (await response.json()) as any };
}

const file = orchestratorForFile(
  "inspector routes",
  async () => ({ definitions: await shippedDefinitions() }),
  { start: false },
);
beforeAll(async () => {
  base = await file.orchestrator.api.listen({ port: 0, host: "127.0.0.1" });
  for (const customer of ["cust-search-ada", "cust-search-bob", "cust-search-cyd"]) {
    const response = await fetch(`${base}/sagas/create-order`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ input: orderInput(customer, 1_500) }),
    });
    expect(response.status).toBe(201);
    sagas[customer] = ((await response.json()) as { sagaId: string }).sagaId;
  }
}, 120_000);
afterAll(() => file.orchestrator?.api.close());

describe("in-flight counts per definition version", () => {
  it("counts unfinished sagas by name, version, hash, status and state, behind the token", async () => {
    expect(await get("/sagas/in-flight", {})).toMatchObject({ status: 401 });
    const counts = await get("/sagas/in-flight?name=create-order");
    expect(counts.status).toBe(200);
    expect(counts.body.statuses).toEqual(["running", "compensating", "needs-intervention"]);
    expect(counts.body.items).toEqual([
      {
        name: "create-order",
        version: 1,
        hash: expect.stringMatching(/^sha256:/),
        status: "running",
        state: "step:verify-customer",
        count: 3,
      },
    ]);
    expect((await get("/sagas/in-flight?name=cancel-order")).body.items).toEqual([]);
  });

  it("is described in the OpenAPI document", async () => {
    const docs = await fetch(`${base}/docs/json`);
    const document = (await docs.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain("/sagas/in-flight");
  });
});

describe("inspector read routes", () => {
  it("refuses every read without the bearer token", async () => {
    const id = sagas["cust-search-ada"] as string;
    for (const path of [
      "/sagas/search",
      "/sagas/counts",
      `/sagas/${id}/timers`,
      `/sagas/${id}/outbox`,
    ]) {
      expect(await get(path, {})).toMatchObject({ status: 401, body: { code: "UNAUTHORIZED" } });
    }
  });

  it("searches by text in the input, by id prefix, by status, name and age", async () => {
    const bob = sagas["cust-search-bob"] as string;
    const byInput = await get("/sagas/search?q=search-bob");
    expect(byInput.status).toBe(200);
    expect(byInput.body.items.map((s: { id: string }) => s.id)).toEqual([bob]);
    expect(byInput.body.items[0]).toMatchObject({
      name: "create-order",
      version: 1,
      status: "running",
      state: "step:verify-customer",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const byId = await get(`/sagas/search?q=${bob.slice(0, 8)}`);
    expect(byId.body.items.map((s: { id: string }) => s.id)).toContain(bob);
    // LIKE wildcards are searched for literally.
    expect((await get("/sagas/search?q=%25")).body.items).toEqual([]);
    expect((await get("/sagas/search?status=running&name=create-order")).body.items).toHaveLength(
      3,
    );
    expect((await get("/sagas/search?status=compensated")).body.items).toEqual([]);
    expect((await get("/sagas/search?name=cancel-order")).body.items).toEqual([]);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await get(`/sagas/search?createdAfter=${future}`)).body.items).toEqual([]);
    const past = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    expect((await get(`/sagas/search?createdAfter=${past}`)).body.items).toHaveLength(3);
    expect((await get("/sagas/search?status=sleeping")).status).toBe(400);
    expect(await get("/sagas/search?cursor=garbage")).toMatchObject({
      status: 400,
      body: { code: "CURSOR_INVALID" },
    });
  });

  it("pages newest first by cursor without repeating a saga", async () => {
    const first = await get("/sagas/search?limit=2");
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/sagas/search?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ nextCursor: null });
    const seen = [...first.body.items, ...second.body.items];
    expect(seen.map((s: { id: string }) => s.id).sort()).toEqual(Object.values(sagas).sort());
    const created = seen.map((s: { createdAt: string }) => s.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
  });

  it("counts sagas per status, filtered by name and age", async () => {
    const counts = await get("/sagas/counts");
    expect(counts.body).toEqual({
      total: 3,
      byStatus: {
        running: 3,
        compensating: 0,
        completed: 0,
        compensated: 0,
        failed: 0,
        "needs-intervention": 0,
        resolved: 0,
      },
    });
    expect((await get("/sagas/counts?name=cancel-order")).body.total).toBe(0);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await get(`/sagas/counts?createdAfter=${future}`)).body.total).toBe(0);
  });

  it("shows a saga's pending timers and its outbox rows not yet sent", async () => {
    const id = sagas["cust-search-cyd"] as string;
    const timers = await get(`/sagas/${id}/timers`);
    expect(timers.status).toBe(200);
    // verify-customer's 5 s timeout first, then create-order's deadline an hour after the start.
    expect(timers.body).toEqual([
      {
        id: expect.any(String),
        fireAt: expect.any(String),
        event: { type: "step-timeout", step: "verify-customer", attempt: 1, compensation: false },
      },
      { id: expect.any(String), fireAt: expect.any(String), event: { type: "saga-deadline" } },
    ]);
    expect(Date.parse(timers.body[1].fireAt) - Date.now()).toBeGreaterThan(3_500_000);
    // The HTTP call waits for the invoker, which is not running. (The saga.started event was
    // sent, and may still show until the next commit deletes its row.)
    const outbox = await get(`/sagas/${id}/outbox`);
    const http = outbox.body.filter((row: { kind: string }) => row.kind === "http");
    // The call is still in the outbox: no service URL is configured here, so it never completes;
    // the replica that wrote it may already have leased it to itself (attempts 1).
    expect(http).toEqual([expect.objectContaining({ kind: "http", lastError: null })]);
    expect(JSON.stringify(http[0].message)).toContain("cust-search-cyd");
    expect((await get(`/sagas/${crypto.randomUUID()}/timers`)).body).toEqual([]);
    expect((await get("/sagas/not-a-uuid/outbox")).status).toBe(400);
  });

  it("lists the new routes in the OpenAPI document", async () => {
    const docs = await get("/docs/json");
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        "/sagas/search",
        "/sagas/counts",
        "/sagas/{id}/timers",
        "/sagas/{id}/outbox",
      ]),
    );
  });
});

describe("the inspector app at /ui", () => {
  it("serves the built files, and says how to build them when they are missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "inspector-ui-"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>Sagaworks inspector</title>");
    const app = await createServiceApp({ logger: silentLogger(), title: "ui test" });
    await app.register(inspectorPage, { uiDir: dir });
    const missing = await createServiceApp({ logger: silentLogger(), title: "ui test" });
    await missing.register(inspectorPage, { uiDir: join(dir, "absent") });
    try {
      const page = await app.inject({ method: "GET", url: "/ui/" });
      expect(page.statusCode).toBe(200);
      expect(page.headers["content-type"]).toMatch(/text\/html/);
      expect(page.body).toContain("Sagaworks inspector");
      // The page's browser policy: own origin only, scripts strict, never framed, no referrer.
      const csp = String(page.headers["content-security-policy"]);
      for (const directive of [
        "default-src 'self'",
        "script-src 'self';",
        "script-src-attr 'none'",
        "connect-src 'self'",
        "img-src 'self';",
        "frame-ancestors 'none'",
        "object-src 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(page.headers["x-frame-options"]).toBe("DENY");
      expect(page.headers["x-content-type-options"]).toBe("nosniff");
      expect(page.headers["referrer-policy"]).toBe("no-referrer");
      // The JSON reads beside it are not pages and carry no page policy.
      const counts = await app.inject({
        method: "GET",
        url: "/sagas/counts",
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(counts.headers["content-security-policy"]).toBeUndefined();
      const bare = await app.inject({ method: "GET", url: "/ui" });
      expect(bare.statusCode).toBe(301);
      expect(bare.headers.location).toBe("/ui/");
      const notBuilt = await missing.inject({ method: "GET", url: "/ui/index.html" });
      expect(notBuilt.statusCode).toBe(503);
      expect(notBuilt.json()).toMatchObject({
        code: "INSPECTOR_NOT_BUILT",
        message: expect.stringContaining("node scripts/bootstrap.mjs inspector:build"),
      });
    } finally {
      await app.close();
      await missing.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

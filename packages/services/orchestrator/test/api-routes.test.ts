// The API's route plugins over in-memory ports, with app.inject: no broker, no database. What

import { silentLogger } from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import type { SagaEvent, SagaSnapshot } from "@sagaworks/saga-engine";
import { encodePageCursor } from "@sagaworks/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENVELOPE_RESERVE_BYTES } from "../src/api/input-capacity.ts";
import {
  buildApi,
  type DefinitionPort,
  type OrchestratorApi,
  OrchestratorMetrics,
  type SagaDetail,
  type SagaListQuery,
  type SagaPort,
  type SagaSummary,
} from "../src/index.ts";
import { noteSaga } from "./note-saga.ts";

const TOKEN = "route-test-token-0123";
const auth = { authorization: `Bearer ${TOKEN}` };

/** One command step that carries `$.input.note` whole. */
const noteSagaDefinition = noteSaga();

const sagaId = "0b7f3c7e-8a51-4a8e-9d43-3f7c1f0e2a11";
const createdAt = new Date("2026-11-29T10:00:00.000Z");
const summary: SagaSummary = {
  id: sagaId,
  name: "note-order",
  version: 1,
  status: "running",
  state: "step:create-order",
  createdAt,
  updatedAt: createdAt,
};

/** An in-memory SagaPort that records what the routes asked of it. */
class FakeSagas implements SagaPort {
  readonly started: unknown[] = [];
  readonly listed: SagaListQuery[] = [];
  readonly applied: SagaEvent[] = [];
  async start(_saga: CompiledSaga, input: unknown) {
    this.started.push(input);
    return { sagaId, created: true };
  }
  async apply(_id: string, event: SagaEvent) {
    this.applied.push(event);
    return { kind: "unknown-saga" } as const;
  }
  async load(): Promise<SagaDetail> {
    return {
      instance: {
        ...summary,
        hash: noteSagaDefinition.hash,
        snapshot: { sagaId, status: "running" } as unknown as SagaSnapshot,
        revision: 2,
        idempotencyKey: null,
        traceId: "0".repeat(32),
        junkReplies: 7,
      },
      history: [
        {
          seq: 1,
          at: createdAt,
          eventType: "start",
          event: { type: "start" },
          applied: true,
          note: "started",
          status: "running",
          state: "step:create-order",
          actor: "api",
          reason: null,
          effects: [],
        },
      ],
      parkedMessages: [
        {
          id: "42",
          kind: "sqs",
          destination: "queue",
          name: "CreateOrder",
          attempts: 1,
          reason: "MESSAGE_TOO_LARGE: too big",
          parkedAt: createdAt,
        },
      ],
      links: {
        parent: { sagaId: "parent-1", sagaName: "order-with-deposit", step: "place-order" },
        children: [{ step: "hold", attempt: 1, sagaId: "child-1", sagaName: "hold-credit" }],
      },
    };
  }
  async list(query: SagaListQuery) {
    this.listed.push(query);
    return [summary, { ...summary, id: "1b7f3c7e-8a51-4a8e-9d43-3f7c1f0e2a11" }];
  }
}

const definitions: DefinitionPort = {
  deployed: (name) => (name === noteSagaDefinition.name ? noteSagaDefinition : undefined),
  allDeployed: () => [noteSagaDefinition],
  all: () => [noteSagaDefinition],
};

let app: OrchestratorApi;
let sagas: FakeSagas;
beforeAll(async () => {
  sagas = new FakeSagas();
  app = await buildApi({
    sagas,
    definitions,
    metrics: new OrchestratorMetrics(),
    logger: silentLogger(),
    apiToken: TOKEN,
    isReady: () => true,
  });
});
afterAll(() => app.close());

const OPEN = new Set(["/metrics", "/metrics.json", "/health", "/ready"]);

describe("the API's authentication", () => {
  it("every read route refuses a missing or wrong token", async () => {
    const docs = (await app.inject({ method: "GET", url: "/docs/json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(docs.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
    const reads = routes.filter((r) => r.method === "GET" && !OPEN.has(r.path));
    expect(reads.map((r) => r.path).sort()).toEqual([
      "/definitions",
      "/definitions/{name}/{version}",
      "/sagas",
      "/sagas/{id}",
    ]);
    const url = (path: string) =>
      path
        .replace("{id}", sagaId)
        .replace("{name}", noteSagaDefinition.name)
        .replace("{version}", "1");
    for (const { path } of reads) {
      for (const headers of [
        {},
        { authorization: "Bearer wrong-token-wrong-token" },
        { authorization: TOKEN },
        { authorization: `Bearer ${TOKEN} ` },
      ]) {
        const response = await app.inject({ method: "GET", url: url(path), headers });
        expect({ path, headers, status: response.statusCode }).toEqual({
          path,
          headers,
          status: 401,
        });
        expect(response.json()).toMatchObject({ code: "UNAUTHORIZED" });
      }
      const allowed = await app.inject({ method: "GET", url: url(path), headers: auth });
      expect({ path, status: allowed.statusCode }).toEqual({ path, status: 200 });
    }
  });

  it("every write route refuses a missing token before reading the body", async () => {
    const docs = (await app.inject({ method: "GET", url: "/docs/json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const writes = Object.entries(docs.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => method !== "get")
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
    // start, retry, skip, compensate, resolve, complete-wait, reopen-wait
    expect(writes.length).toBe(7);
    for (const { method, path } of writes) {
      const response = await app.inject({
        method: method as "POST",
        url: path.replace("{id}", sagaId).replace("{name}", noteSagaDefinition.name),
        payload: "{not json",
        headers: { "content-type": "application/json" },
      });
      expect({ path, status: response.statusCode }).toEqual({ path, status: 401 });
    }
    expect(sagas.applied).toEqual([]);
  });

  it("leaves /metrics, /metrics.json, /health, /ready and the docs open", async () => {
    for (const url of ["/metrics", "/metrics.json", "/health", "/ready", "/docs/json"]) {
      expect({ url, status: (await app.inject({ method: "GET", url })).statusCode }).toEqual({
        url,
        status: 200,
      });
    }
    const text = await app.inject({ method: "GET", url: "/metrics" });
    expect(text.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text.body).toMatch(/^# HELP /m);
    expect((await app.inject({ method: "GET", url: "/metrics.json" })).json()).toMatchObject({
      commits: 0,
      junkReplies: 0,
      outboxParked: 0,
    });
  });
});

describe("the API's saga shape", () => {
  it("GET /sagas and GET /sagas/:id show one camelCase shape", async () => {
    const list = (await app.inject({ method: "GET", url: "/sagas?limit=1", headers: auth })).json();
    const detail = (
      await app.inject({ method: "GET", url: `/sagas/${sagaId}`, headers: auth })
    ).json();
    const listed = list.items[0];
    expect(listed).toEqual({
      id: sagaId,
      name: "note-order",
      version: 1,
      status: "running",
      state: "step:create-order",
      createdAt: createdAt.toISOString(),
      updatedAt: createdAt.toISOString(),
    });
    // The detail has every field of the list, with the same values, plus what operators read.
    expect(detail).toMatchObject(listed);
    expect(detail).toMatchObject({
      hash: noteSagaDefinition.hash,
      revision: 2,
      junkReplies: 7,
      history: [{ seq: 1, eventType: "start", applied: true, actor: "api" }],
      parkedMessages: [{ id: "42", name: "CreateOrder", reason: "MESSAGE_TOO_LARGE: too big" }],
      // Parent and children, so the inspector links them both ways.
      parent: { sagaId: "parent-1", sagaName: "order-with-deposit", step: "place-order" },
      children: [{ step: "hold", attempt: 1, sagaId: "child-1", sagaName: "hold-credit" }],
    });
    for (const key of [...Object.keys(detail), ...Object.keys(detail.history[0])]) {
      expect(key).toMatch(/^[a-z][a-zA-Z]*$/);
    }
  });

  it("pages with an opaque cursor and refuses crafted ones with 400, never a database error", async () => {
    const first = (
      await app.inject({ method: "GET", url: "/sagas?limit=1", headers: auth })
    ).json();
    expect(first.nextCursor).toEqual(expect.any(String));
    await app.inject({
      method: "GET",
      url: `/sagas?limit=1&cursor=${first.nextCursor}`,
      headers: auth,
    });
    expect(sagas.listed.at(-1)?.after).toEqual({ createdAt, id: sagaId });
    const crafted = [
      "garbage",
      encodePageCursor("sagas", ["-271821-04-20T00:00:00.000Z", sagaId]),
      encodePageCursor("sagas", ["2026-13-45T00:00:00.000Z", sagaId]),
      encodePageCursor("sagas", [createdAt.toISOString(), "not-a-uuid"]),
      encodePageCursor("sagas", [createdAt.toISOString(), "a\u0000b"]),
      encodePageCursor("orders", [createdAt.toISOString(), sagaId]),
      encodePageCursor("sagas", [createdAt.toISOString()]),
      Buffer.from('["sagas",{"x":1}]').toString("base64url"),
      `${first.nextCursor}!`,
    ];
    const listedBefore = sagas.listed.length;
    for (const cursor of crafted) {
      const response = await app.inject({
        method: "GET",
        url: `/sagas?cursor=${encodeURIComponent(cursor)}`,
        headers: auth,
      });
      expect({ cursor, status: response.statusCode }).toEqual({ cursor, status: 400 });
      expect(response.json()).toMatchObject({ code: "CURSOR_INVALID" });
    }
    expect(sagas.listed.length).toBe(listedBefore);
  });
});

describe("starting a saga", () => {
  it("refuses with 400 an input its commands cannot carry, and says which step", async () => {
    // Under Fastify's 1 MiB body limit, over what a command can carry.
    const note = "x".repeat(1_048_576 - ENVELOPE_RESERVE_BYTES + 1_000);
    const response = await app.inject({
      method: "POST",
      url: "/sagas/note-order",
      headers: auth,
      payload: { input: { customerId: "c-1", note } },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe("SAGA_INPUT_TOO_LARGE");
    expect(body.message).toMatch(/step create-order sends \d+ bytes of it in CreateOrder/);
    expect(body.details[0]).toMatchObject({ path: "input", step: "create-order" });
    expect(sagas.started).toEqual([]);
    const small = await app.inject({
      method: "POST",
      url: "/sagas/note-order",
      headers: auth,
      payload: { input: { customerId: "c-1", note: "gift wrap" } },
    });
    expect(small.statusCode).toBe(201);
    expect(sagas.started).toEqual([{ customerId: "c-1", note: "gift wrap" }]);
  });
});

// The kit's one rule at the boundary: what Postgres and JSON cannot store is a 400
// that names the field, Fastify's own refusals use the kit's body, and tokens guard writes.
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createServiceApp, type ServiceApp } from "./service-app.ts";
import { findUnstorable, storableString, unstorableReason } from "./storable.ts";

const opened: ServiceApp[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

const auth = { writeToken: "write-token-0123456789", readToken: "read-token-0123456789" };

async function build() {
  const app = await createServiceApp({
    logger: pino({ level: "silent" }),
    title: "guards",
    auth,
  });
  app.get(
    "/notes/:id",
    { schema: { params: z.object({ id: storableString().max(20) }) } },
    async (request) => ({ id: request.params.id }),
  );
  app.post(
    "/notes",
    { schema: { body: z.object({ text: storableString(), extra: z.unknown().optional() }) } },
    async () => ({ ok: true }),
  );
  app.get("/database-refuses", async () => {
    // What pg throws for a NUL in a text parameter.
    throw Object.assign(new Error("invalid byte sequence for encoding UTF8: 0x00"), {
      code: "22021",
    });
  });
  opened.push(app);
  return app;
}

const write = { authorization: `Bearer ${auth.writeToken}` };

describe("storable strings", () => {
  it("refuses NUL and lone surrogates, and accepts surrogate pairs", () => {
    expect(unstorableReason("a\u0000b")).toContain("NUL");
    expect(unstorableReason("a\ud800b")).toContain("lone UTF-16 surrogate");
    expect(unstorableReason("\udc00")).toContain("surrogate");
    expect(unstorableReason("smile \ud83d\ude00")).toBeUndefined();
    expect(storableString().safeParse("x\u0000").success).toBe(false);
  });

  it("finds the first bad key, string or nesting in a value of any depth without recursing", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorable(deep, { root: "body", maxDepth: 32 })).toMatchObject({
      message: "nests deeper than 32 levels; flatten it",
    });
    expect(findUnstorable({ a: [{ b: "x\u0000" }] }, { root: "body" })).toMatchObject({
      path: "body.a.0.b",
    });
    expect(findUnstorable({ "k\ud800": 1 }, { root: "body" })?.message).toMatch(/^key contains/);
    expect(findUnstorable({ a: [1, "ok", { b: null }] })).toBeUndefined();
  });
});

describe("createServiceApp request guards", () => {
  it("answers a NUL or a lone surrogate in the path, query or body with a 400 naming the field", async () => {
    const app = await build();
    const inPath = await app.inject({ method: "GET", url: "/notes/a%00b", headers: write });
    expect(inPath.statusCode).toBe(400);
    expect(inPath.json()).toMatchObject({ code: "REQUEST_INVALID" });
    expect(inPath.json().message).toContain("params.id");
    const inBody = await app.inject({
      method: "POST",
      url: "/notes",
      headers: { ...write, "content-type": "application/json" },
      payload: '{"text":"ok","extra":{"deep":["\\ud800"]}}',
    });
    expect(inBody.statusCode).toBe(400);
    expect(inBody.json().details).toEqual([
      expect.objectContaining({ path: "body.extra.deep.0", code: "unstorable" }),
    ]);
    const inQuery = await app.inject({ method: "GET", url: "/notes/a?x=%00", headers: write });
    expect(inQuery.statusCode).toBe(400);
    expect(inQuery.json().message).toContain("querystring.x");
  });

  it("refuses a body nested deeper than the limit with a 400", async () => {
    const app = await build();
    const response = await app.inject({
      method: "POST",
      url: "/notes",
      headers: { ...write, "content-type": "application/json" },
      payload: `{"text":"t","extra":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain("nests deeper than 32 levels");
  });

  it("maps a Postgres data exception (SQLSTATE class 22) to a 400", async () => {
    const app = await build();
    const response = await app.inject({
      method: "GET",
      url: "/database-refuses",
      headers: write,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: "REQUEST_UNSTORABLE",
      details: { sqlState: "22021" },
    });
  });

  it("answers bad URL encoding and an over-long path parameter in the kit's error body", async () => {
    const app = await build();
    const badEncoding = await app.inject({ method: "GET", url: "/notes/%E0%A4%A", headers: write });
    expect(badEncoding.statusCode).toBe(400);
    expect(badEncoding.json()).toMatchObject({
      code: "REQUEST_MALFORMED",
      details: { cause: "FST_ERR_BAD_URL" },
    });
    const tooLong = await app.inject({
      method: "GET",
      url: `/notes/${"x".repeat(500)}`,
      headers: write,
    });
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.json()).toMatchObject({
      code: "REQUEST_MALFORMED",
      details: { cause: "FST_ERR_MAX_PARAM_LENGTH" },
    });
  });
});

describe("createServiceApp bearer tokens", () => {
  it("refuses a write without the write token, and a read without a token, before reading the body", async () => {
    const app = await build();
    const cases = [
      { method: "POST" as const, url: "/notes", headers: {} },
      { method: "POST" as const, url: "/notes", headers: { authorization: "Bearer nope" } },
      {
        method: "POST" as const,
        url: "/notes",
        headers: { authorization: `Bearer ${auth.readToken}` },
      },
      { method: "GET" as const, url: "/notes/a", headers: {} },
      { method: "GET" as const, url: "/notes/a", headers: { authorization: auth.readToken } },
    ];
    for (const { method, url, headers } of cases) {
      // A body that would be a 400 if it were read: the 401 comes first.
      const response = await app.inject({
        method,
        url,
        headers: { ...headers, "content-type": "application/json" },
        payload: method === "POST" ? "{not json" : undefined,
      });
      expect(response.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
      expect(response.json().code).toBe("UNAUTHORIZED");
    }
    const read = await app.inject({
      method: "GET",
      url: "/notes/a",
      headers: { authorization: `Bearer ${auth.readToken}` },
    });
    expect(read.statusCode).toBe(200);
    const written = await app.inject({
      method: "POST",
      url: "/notes",
      headers: { ...write, "content-type": "application/json" },
      payload: { text: "hi" },
    });
    expect(written.statusCode).toBe(200);
  });

  it("keeps /health, /ready and /docs open", async () => {
    const app = await build();
    for (const url of ["/health", "/ready", "/docs/json"]) {
      expect((await app.inject({ method: "GET", url })).statusCode, url).toBe(200);
    }
  });
});

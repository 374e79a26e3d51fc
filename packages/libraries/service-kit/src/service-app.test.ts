import { defineErrors } from "@sagaworks/errors";
import type { Database } from "@sagaworks/platform";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createServiceApp,
  type Readiness,
  type ServiceApp,
  type ServiceAppOptions,
} from "./service-app.ts";

// The test app's own codes, declared the way a service declares its codes.
const ShelfErrors = defineErrors("@test/service-app", {
  thingNotFound: { code: "THING_NOT_FOUND", status: 404 },
  shelfEmpty: { code: "SHELF_EMPTY", status: 409 },
  /** Declared without a status: never meant for a client. */
  shelfJammed: { code: "SHELF_JAMMED" },
});

const opened: ServiceApp[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

/** An app with a few routes that fail in each way the error handler must map. */
async function build(overrides: Partial<ServiceAppOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const app = await createServiceApp({
    logger,
    title: "test service",
    bodyLimit: 1024,
    ...overrides,
  });
  app.post(
    "/things",
    {
      schema: {
        body: z.strictObject({
          name: z.string().min(1),
          email: z.email(),
          count: z.int().min(0),
          tags: z.array(z.string()).optional(),
        }),
        response: { 201: z.object({ name: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send({ name: request.body.name }),
  );
  app.get(
    "/things/:id",
    {
      schema: {
        params: z.object({ id: z.coerce.number().int() }),
        // Deliberately unlike the error body: the handler must not be forced through it.
        response: { 200: z.object({ id: z.number() }), 404: z.object({ other: z.string() }) },
      },
    },
    async (request) => {
      if (request.params.id !== 1) {
        throw ShelfErrors.create(
          ShelfErrors.codes.thingNotFound,
          "No such thing; list them first.",
          { id: request.params.id },
        );
      }
      return { id: 1 };
    },
  );
  app.get("/boom", async () => {
    throw new Error("secret connection string");
  });
  app.get("/shelf", async () => {
    throw ShelfErrors.create(ShelfErrors.codes.shelfEmpty, "Restock first.");
  });
  app.get("/jammed", async () => {
    throw ShelfErrors.create(ShelfErrors.codes.shelfJammed, "Gear 3 is stuck.", { gear: 3 });
  });
  opened.push(app);
  return { app, lines };
}

describe("createServiceApp error mapping", () => {
  it("answers a schema violation with 400 naming each field path", async () => {
    const { app } = await build();
    const response = await app.inject({
      method: "POST",
      url: "/things",
      payload: { name: "", email: "nope", count: -1, tags: ["a", 2], colour: "red" },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe("REQUEST_INVALID");
    for (const path of ["body.name", "body.email", "body.count", "body.tags.1", "body.colour"]) {
      expect(body.message).toContain(`${path}:`);
    }
    expect(body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "body.email", code: "invalid_format" }),
        expect.objectContaining({ path: "body.colour", code: "unrecognized_keys" }),
      ]),
    );
  });

  it("names params and a missing body by their location", async () => {
    const { app } = await build();
    const params = await app.inject({ method: "GET", url: "/things/abc" });
    expect(params.statusCode).toBe(400);
    expect(params.json().message).toContain("params.id:");
    const missing = await app.inject({ method: "POST", url: "/things" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe("REQUEST_INVALID");
  });

  it("answers a registered error with its declared status, code, message and details", async () => {
    const { app } = await build();
    const response = await app.inject({ method: "GET", url: "/things/7" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      code: "THING_NOT_FOUND",
      message: "No such thing; list them first.",
      details: { id: 7 },
    });
  });

  it("answers a registered error without details with code and message only", async () => {
    const { app } = await build();
    const response = await app.inject({ method: "GET", url: "/shelf" });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({ code: "SHELF_EMPTY", message: "Restock first." });
  });

  it("answers malformed JSON, a wrong content type and a large body with 4xx", async () => {
    const { app } = await build();
    /** A raw body to /things, as a client that gets the format wrong sends it. */
    const postRaw = (contentType: string, payload: string) =>
      app.inject({
        method: "POST",
        url: "/things",
        headers: { "content-type": contentType },
        payload,
      });
    const malformed = await postRaw("application/json", '{"name": "a",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe("REQUEST_MALFORMED");

    const empty = await postRaw("application/json", "");
    expect(empty.statusCode).toBe(400);

    const text = await postRaw("application/xml", "<thing/>");
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe("MEDIA_TYPE_UNSUPPORTED");

    const large = await app.inject({
      method: "POST",
      url: "/things",
      payload: { name: "x".repeat(2000), email: "a@b.co", count: 1 },
    });
    expect(large.statusCode).toBe(413);
    expect(large.json().code).toBe("BODY_TOO_LARGE");
  });

  it("answers an unknown route with 404 ROUTE_NOT_FOUND", async () => {
    const { app } = await build();
    const response = await app.inject({ method: "GET", url: "/nowhere?x=1" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      code: "ROUTE_NOT_FOUND",
      message: "No route GET /nowhere; see /docs for the API.",
    });
  });

  it("answers an unexpected error with 500 INTERNAL, hides it and logs it", async () => {
    const { app, lines } = await build();
    const response = await app.inject({ method: "GET", url: "/boom" });
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe("INTERNAL");
    expect(response.body).not.toContain("secret");
    const logged = lines.find((line) => line.msg === "route failed");
    expect(logged).toMatchObject({ level: 50, url: "/boom", err: { message: expect.any(String) } });
  });

  it("answers a registered error declared without a status as 500 INTERNAL, and logs it", async () => {
    const { app, lines } = await build();
    const response = await app.inject({ method: "GET", url: "/jammed" });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      code: "INTERNAL",
      message: "Something went wrong inside the service; it is logged. Retry later.",
    });
    const logged = lines.find((line) => line.msg === "route failed");
    expect(logged).toMatchObject({ url: "/jammed", err: { code: "SHELF_JAMMED" } });
  });
});

describe("createServiceApp health and docs", () => {
  const workingDb = { knex: { raw: async () => ({ rows: [] }) } } as unknown as Database;
  const brokenDb = {
    knex: {
      raw: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:5432"), {
          code: "ECONNREFUSED",
        });
      },
    },
  } as unknown as Database;

  it("answers /health with ok", async () => {
    const { app } = await build();
    const response = await app.inject({ method: "GET", url: "/health" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });

  it("answers /ready with 200 only when the database and isReady agree", async () => {
    let started = false;
    const { app } = await build({ db: workingDb, isReady: () => started });
    expect((await app.inject({ method: "GET", url: "/ready" })).json()).toEqual({
      status: "starting",
    });
    started = true;
    const ready = await app.inject({ method: "GET", url: "/ready" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });

    const { app: broken } = await build({ db: brokenDb });
    const unready = await broken.inject({ method: "GET", url: "/ready" });
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toEqual({
      status: "database unreachable",
      dependency: "database",
      reason: "connection refused",
    });
    expect(unready.body).not.toContain("10.0.0.7");
  });

  it("names the dependency a running process lost, why, and since when", async () => {
    const since = new Date("2026-12-07T01:00:00.000Z");
    let readiness: Readiness = { dependency: "broker", reason: "broker answered 503", since };
    const { app } = await build({ db: workingDb, isReady: () => readiness });
    const lost = await app.inject({ method: "GET", url: "/ready" });
    expect(lost.statusCode).toBe(503);
    expect(lost.json()).toEqual({
      status: "broker unreachable",
      dependency: "broker",
      reason: "broker answered 503",
      since: "2026-12-07T01:00:00.000Z",
    });
    readiness = true;
    expect((await app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
  });

  it("hides an unknown database failure's words, which may name hosts and users", async () => {
    const oddDb = {
      knex: {
        raw: async () => {
          throw new Error('password authentication failed for user "svc" at db.internal');
        },
      },
    } as unknown as Database;
    const { app } = await build({ db: oddDb });
    const unready = await app.inject({ method: "GET", url: "/ready" });
    expect(unready.json()).toEqual({
      status: "database unreachable",
      dependency: "database",
      reason: "unexpected error (see the log)",
    });
  });

  it("serves the OpenAPI document at /docs/json and the UI at /docs", async () => {
    const { app } = await build();
    const json = await app.inject({ method: "GET", url: "/docs/json" });
    expect(json.statusCode).toBe(200);
    const document = json.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe("test service");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/things", "/things/{id}", "/health", "/ready"]),
    );
    expect(document.paths["/things"].post.requestBody).toBeDefined();
    const ui = await app.inject({ method: "GET", url: "/docs" });
    expect(ui.statusCode).toBeLessThan(400);
  });

  it("serves /docs with the strict page policy, and leaves the JSON routes without it", async () => {
    const { app } = await build();
    for (const url of ["/docs", "/docs/static/index.html", "/docs/static/swagger-ui.css"]) {
      const page = await app.inject({ method: "GET", url });
      expect(page.statusCode, url).toBeLessThan(400);
      const csp = String(page.headers["content-security-policy"]);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self';");
      expect(csp, url).toContain("script-src-attr 'none'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      // Inline styles (Swagger UI applies one), never inline or evaluated scripts.
      expect(csp.match(/'unsafe-[a-z-]+'/g), url).toEqual(["'unsafe-inline'"]);
      expect(csp, url).toContain("style-src 'self' 'unsafe-inline'");
      expect(page.headers["x-frame-options"], url).toBe("DENY");
      expect(page.headers["x-content-type-options"], url).toBe("nosniff");
      expect(page.headers["referrer-policy"], url).toBe("no-referrer");
    }
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.headers["content-security-policy"]).toBeUndefined();
  });

  it("answers a cross-origin preflight with 404: CORS stays closed", async () => {
    const { app } = await build();
    for (const url of ["/things", "/docs"]) {
      const preflight = await app.inject({
        method: "OPTIONS",
        url,
        headers: {
          origin: "https://elsewhere.example",
          "access-control-request-method": "POST",
        },
      });
      expect(preflight.statusCode, url).toBe(404);
      expect(preflight.headers["access-control-allow-origin"], url).toBeUndefined();
    }
  });
});

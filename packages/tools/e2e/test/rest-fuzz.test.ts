// Issue 16: no input makes any route of any app answer 5xx. Each app's routes come from its own
// OpenAPI document (as served at /docs/json); fast-check builds requests from each route's
// schemas, mixed with what broke the services before: NUL bytes, lone surrogates, deep nesting,
// bad percent-encoding, over-long ids, wrong types. Bounded by numRuns, not by time.

import type { RunningSystem } from "@sagaworks/system";
import { startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/** The parts of an OpenAPI schema object the generator reads. */
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
}
interface Parameter {
  in: "path" | "query" | "header";
  name: string;
  schema?: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
type Paths = Record<string, Record<string, Operation>>;

/** Strings that broke the services before, or that they must refuse cleanly. */
const nastyString = fc.constantFrom(
  "a\u0000b",
  "\u0000",
  "\ud800",
  "x\udc00y",
  "\ud83d",
  "",
  " ",
  "x".repeat(5_000),
  "../../etc/passwd",
  "'; drop table orders; --",
  "-271821-04-20T00:00:00.000Z",
  "1e400",
  "NaN",
);
const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: nastyString },
);
const hugeNumber = fc.constantFrom(1e300, -1e300, 2 ** 63, -(2 ** 63), 0.5, -1, 1e11 + 1);

/** A JSON value nested `depth` levels deep, as a raw JSON text (JSON.stringify would recurse). */
const deepJson = fc
  .tuple(fc.integer({ min: 20, max: 6_000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects
      ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
      : `${"[".repeat(depth)}${"]".repeat(depth)}`,
  );

/** Values shaped by the schema most of the time, anything at all otherwise. */
function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const wild = fc.oneof(
    anyString,
    hugeNumber,
    fc.constantFrom(null, true, false, [], {}),
    fc.dictionary(anyString, anyString, { maxKeys: 3 }),
  );
  if (!schema || depth > 4) return wild;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && variants.length > 0) {
    return fc.oneof(...variants.map((variant) => valueFor(variant, depth + 1)), wild);
  }
  if (schema.enum && schema.enum.length > 0) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...schema.enum) },
      { weight: 1, arbitrary: wild },
    );
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  let shaped: fc.Arbitrary<unknown>;
  switch (type) {
    case "string":
      shaped =
        schema.format === "uuid"
          ? fc.oneof(fc.uuid(), anyString)
          : fc.oneof(
              fc.string({
                minLength: schema.minLength ?? 0,
                maxLength: Math.min(schema.maxLength ?? 30, 30),
              }),
              anyString,
            );
      break;
    case "integer":
    case "number":
      shaped = fc.oneof(
        fc.integer({
          min: Math.max(schema.minimum ?? -1e6, -1e12),
          max: Math.min(schema.maximum ?? 1e6, 1e12),
        }),
        hugeNumber,
      );
      break;
    case "boolean":
      shaped = fc.boolean();
      break;
    case "array":
      shaped = fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 });
      break;
    case "object": {
      const properties = Object.entries(schema.properties ?? {});
      shaped = fc
        .tuple(
          fc.record(
            Object.fromEntries(
              properties.map(([name, property]) => [name, valueFor(property, depth + 1)]),
            ),
            { requiredKeys: schema.required ?? [] },
          ),
          fc.dictionary(anyString, anyString, { maxKeys: 2 }),
          fc.boolean(),
        )
        .map(([known, extra, addExtra]) => (addExtra ? { ...extra, ...known } : known));
      break;
    }
    default:
      shaped = wild;
  }
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: wild });
}

/** A path segment as it travels: usually well encoded, sometimes broken on purpose. */
function pathSegment(schema: JsonSchema | undefined): fc.Arbitrary<string> {
  const encodable = valueFor(schema).map((value) => {
    try {
      return encodeURIComponent(String(value));
    } catch {
      // A lone surrogate cannot be percent-encoded as UTF-8: send the bytes a client might.
      return "%ED%A0%80";
    }
  });
  return fc.oneof(
    { weight: 4, arbitrary: encodable },
    // Names and ids that exist, so requests also get past the lookups into the handlers.
    {
      weight: 3,
      arbitrary: fc.constantFrom("create-order", "cancel-order", "cust-ada", "cust-alan", "1"),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "%",
        "%zz",
        "%00",
        "a%00b",
        "%ED%A0%80",
        "%C0%AF",
        "%E0%A4%A",
        "x".repeat(600),
      ),
    },
  );
}

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function requestFor(
  base: string,
  path: string,
  method: string,
  op: Operation,
  token: string,
): fc.Arbitrary<Request> {
  const parameters = op.parameters ?? [];
  const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
  const pathParams = parameters.filter((p) => p.in === "path");
  const queryParams = parameters.filter((p) => p.in === "query");
  const headerParams = parameters.filter((p) => p.in === "header");
  return fc
    .record({
      segments: fc.tuple(...pathParams.map((p) => pathSegment(p.schema))),
      query: fc.tuple(...queryParams.map((p) => fc.option(valueFor(p.schema), { nil: undefined }))),
      rawQuery: fc.option(
        fc.constantFrom("%", "a=%zz", "limit=%00", "cursor=%ED%A0%80", "x=1&x=2"),
        {
          nil: undefined,
        },
      ),
      headers: fc.tuple(
        ...headerParams.map((p) => fc.option(valueFor(p.schema), { nil: undefined })),
      ),
      body: fc.oneof(
        {
          weight: 5,
          arbitrary: valueFor(bodySchema).map((value) => JSON.stringify(value) ?? "null"),
        },
        { weight: 1, arbitrary: deepJson },
        {
          weight: 1,
          arbitrary: fc.constantFrom("{", '{"a":"\\u0000"}', '"\\ud800"', "", "null", "[]"),
        },
      ),
    })
    .map(({ segments, query, rawQuery, headers, body }) => {
      let url = path;
      pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, segments[i] ?? "");
      });
      const search = new URLSearchParams();
      queryParams.forEach((p, i) => {
        const value = query[i];
        if (value !== undefined) {
          try {
            search.set(p.name, typeof value === "string" ? value : JSON.stringify(value));
          } catch {
            // A lone surrogate: URLSearchParams replaces it, so send it raw instead below.
          }
        }
      });
      const queryText = [search.toString(), rawQuery].filter(Boolean).join("&");
      const extra: Record<string, string> = {};
      headerParams.forEach((p, i) => {
        const value = headers[i];
        // Headers are bytes; only what fetch can send (Latin-1, no control characters).
        if (typeof value === "string" && /^[\x20-\x7e]*$/.test(value)) extra[p.name] = value;
      });
      const hasBody = method !== "get" && method !== "head";
      return {
        method: method.toUpperCase(),
        url: `${base}${url}${queryText ? `?${queryText}` : ""}`,
        headers: {
          authorization: `Bearer ${token}`,
          ...(hasBody ? { "content-type": "application/json" } : {}),
          ...extra,
        },
        body: hasBody ? body : undefined,
      };
    });
}

let system: RunningSystem;
beforeAll(async () => {
  system = await startTestSystem("rest fuzz", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: "fuzz-api-token-0123456789",
    serviceToken: "fuzz-service-token-0123456789",
  });
}, 180_000);
afterAll(async () => {
  // On a shared Postgres, its schemas go with it (they were left behind on every run).
  if (system) await stopSystemAndDropSchemas(system);
});

describe("REST fuzz over each app's OpenAPI document", () => {
  for (const app of ["orchestrator", "order", "account", "customer"] as const) {
    it(`${app}: no request gets a 5xx`, async () => {
      const base = system.urls[app];
      const token = app === "orchestrator" ? system.apiToken : system.serviceToken;
      const document = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Paths };
      const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, op]) => ({ path, method, op })),
      );
      expect(routes.length).toBeGreaterThan(3);
      const failures: { request: string; status: number; body: string }[] = [];
      let sent = 0;
      for (const { path, method, op } of routes) {
        await fc.assert(
          fc.asyncProperty(requestFor(base, path, method, op, token), async (request) => {
            const response = await fetch(request.url, {
              method: request.method,
              headers: request.headers,
              ...(request.body === undefined ? {} : { body: request.body }),
            });
            const text = await response.text();
            sent++;
            if (response.status >= 500) {
              failures.push({
                request: `${request.method} ${request.url} ${request.body?.slice(0, 200) ?? ""}`,
                status: response.status,
                body: text.slice(0, 300),
              });
            }
          }),
          { numRuns: 40 },
        );
      }
      expect(sent).toBe(routes.length * 40);
      expect(failures).toEqual([]);
    }, 300_000);
  }
});

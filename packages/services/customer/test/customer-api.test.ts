import { customer, customerError, fraudCheckClear } from "@sagaworks/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CustomerServer, startCustomerServer } from "./customer-server.ts";

let server: CustomerServer;
beforeAll(async () => {
  server = await startCustomerServer("customer api");
});
afterAll(async () => {
  await server?.close();
});

const contractKeys = Object.keys(customer.shape).sort();

function newCustomer(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `Name of ${id}`,
    email: `${id}@example.com`,
    creditLimitCents: 10_000,
    ...overrides,
  };
}

describe("POST and GET /customers", () => {
  it("creates a customer and reads it back in exactly the contract's shape", async () => {
    const created = await server.call("POST", "/customers", newCustomer("cust-create"));
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/customers/cust-create");
    const expected = {
      id: "cust-create",
      name: "Name of cust-create",
      email: "cust-create@example.com",
      creditLimitCents: 10_000,
      status: "ACTIVE",
    };
    expect(created.body).toEqual(expected);

    const read = await server.call("GET", "/customers/cust-create");
    expect(read.status).toBe(200);
    expect(read.body).toEqual(expected);
    expect(Object.keys(read.body).sort()).toEqual(contractKeys);
    expect(customer.strict().parse(read.body)).toEqual(expected);
  });

  it("assigns a UUID when no id is given and keeps a given status", async () => {
    const created = await server.call("POST", "/customers", {
      name: "  Trimmed  ",
      email: "anonymous@example.com",
      creditLimitCents: 0,
      status: "SUSPENDED",
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatchObject({
      name: "Trimmed",
      status: "SUSPENDED",
      creditLimitCents: 0,
    });
  });

  it("answers an unknown id with 404 and the contract's error body", async () => {
    const response = await server.call("GET", "/customers/cust-nobody");
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: "CUSTOMER_NOT_FOUND", message: expect.any(String) });
    expect(customerError.strict().parse(response.body).message).toContain("cust-nobody");
  });

  it("refuses a duplicate id or email (any case) with 409", async () => {
    expect((await server.call("POST", "/customers", newCustomer("cust-dup"))).status).toBe(201);
    const sameId = await server.call(
      "POST",
      "/customers",
      newCustomer("cust-dup", { email: "other@example.com" }),
    );
    expect(sameId.status).toBe(409);
    expect(sameId.body).toMatchObject({ code: "CUSTOMER_ID_TAKEN", details: { id: "cust-dup" } });

    const sameEmail = await server.call(
      "POST",
      "/customers",
      newCustomer("cust-dup-2", { email: "CUST-DUP@Example.com" }),
    );
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.code).toBe("CUSTOMER_EMAIL_TAKEN");
    expect((await server.call("GET", "/customers/cust-dup-2")).status).toBe(404);
  });
});

describe("PATCH /customers/:id", () => {
  it("changes the given fields only and stamps updatedAt", async () => {
    await server.call("POST", "/customers", newCustomer("cust-patch"));
    const before = await server.db.knex("customers").where({ id: "cust-patch" }).first();
    const response = await server.call("PATCH", "/customers/cust-patch", {
      creditLimitCents: 99_999,
      status: "SUSPENDED",
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: "cust-patch",
      name: "Name of cust-patch",
      email: "cust-patch@example.com",
      creditLimitCents: 99_999,
      status: "SUSPENDED",
    });
    expect((await server.call("GET", "/customers/cust-patch")).body).toEqual(response.body);
    const after = await server.db.knex("customers").where({ id: "cust-patch" }).first();
    expect(new Date(after.updated_at).getTime()).toBeGreaterThan(
      new Date(before.updated_at).getTime(),
    );
    expect(new Date(after.created_at)).toEqual(new Date(before.created_at));

    const renamed = await server.call("PATCH", "/customers/cust-patch", {
      name: "New name",
      email: "new-address@example.com",
    });
    expect(renamed.body).toMatchObject({ name: "New name", email: "new-address@example.com" });
  });

  it("answers an unknown id with 404 and the contract's error body", async () => {
    const response = await server.call("PATCH", "/customers/cust-ghost", { name: "Ghost" });
    expect(response.status).toBe(404);
    expect(customerError.strict().parse(response.body).error).toBe("CUSTOMER_NOT_FOUND");
  });

  it("refuses another customer's email with 409", async () => {
    await server.call("POST", "/customers", newCustomer("cust-p1"));
    await server.call("POST", "/customers", newCustomer("cust-p2"));
    const response = await server.call("PATCH", "/customers/cust-p2", {
      email: "Cust-P1@example.com",
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("CUSTOMER_EMAIL_TAKEN");
    expect((await server.call("GET", "/customers/cust-p2")).body.email).toBe("cust-p2@example.com");
  });
});

describe("bad input gets 400 with the field paths, never 500", () => {
  const cases: { title: string; method: string; path: string; body?: unknown; paths: string[] }[] =
    [
      {
        title: "wrong types",
        method: "POST",
        path: "/customers",
        body: { name: 5, email: true, creditLimitCents: "lots" },
        paths: ["body.name", "body.email", "body.creditLimitCents"],
      },
      {
        title: "a bad email",
        method: "POST",
        path: "/customers",
        body: newCustomer("cust-bad-email", { email: "not-an-email" }),
        paths: ["body.email"],
      },
      {
        title: "a negative credit limit",
        method: "POST",
        path: "/customers",
        body: newCustomer("cust-neg", { creditLimitCents: -1 }),
        paths: ["body.creditLimitCents"],
      },
      {
        title: "a fractional credit limit",
        method: "PATCH",
        path: "/customers/cust-anything",
        body: { creditLimitCents: 10.5 },
        paths: ["body.creditLimitCents"],
      },
      {
        title: "an unknown status",
        method: "POST",
        path: "/customers",
        body: newCustomer("cust-status", { status: "DELETED" }),
        paths: ["body.status"],
      },
      {
        title: "missing fields and an unknown one",
        method: "POST",
        path: "/customers",
        body: { id: "cust-missing", creditLimit: 5 },
        paths: ["body.name", "body.email", "body.creditLimitCents", "body.creditLimit"],
      },
      {
        title: "an id with a slash",
        method: "POST",
        path: "/customers",
        body: newCustomer("cust/slash", { email: "slash@example.com" }),
        paths: ["body.id"],
      },
      {
        title: "an empty update",
        method: "PATCH",
        path: "/customers/cust-anything",
        body: {},
        paths: ["body"],
      },
      {
        title: "an unknown status in an update",
        method: "PATCH",
        path: "/customers/cust-anything",
        body: { status: "active" },
        paths: ["body.status"],
      },
      {
        title: "a negative page size and an unknown status filter",
        method: "GET",
        path: "/customers?limit=-1&status=GONE",
        paths: ["querystring.limit", "querystring.status"],
      },
      {
        title: "a page size above 200",
        method: "GET",
        path: "/customers?limit=201",
        paths: ["querystring.limit"],
      },
      {
        title: "a page size that is not a number",
        method: "GET",
        path: "/customers?limit=ten",
        paths: ["querystring.limit"],
      },
    ];

  for (const { title, method, path, body, paths } of cases) {
    it(`refuses ${title}`, async () => {
      const response = await server.call(method, path, body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("REQUEST_INVALID");
      expect(response.body.details.map((d: { path: string }) => d.path).sort()).toEqual(
        [...paths].sort(),
      );
      for (const field of paths) expect(response.body.message).toContain(`${field}:`);
    });
  }

  it("refuses malformed JSON with 400 REQUEST_MALFORMED", async () => {
    const response = await server.call("POST", "/customers", '{"name": "Ada",');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("REQUEST_MALFORMED");
  });

  it("refuses a body that is not JSON with 415", async () => {
    const response = await server.call("POST", "/customers", "name=Ada", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(response.status).toBe(415);
    expect(response.body.code).toBe("MEDIA_TYPE_UNSUPPORTED");
  });

  it("refuses a cursor it did not issue with 400 CURSOR_INVALID", async () => {
    const response = await server.call("GET", "/customers?cursor=bm90LWEtY3Vyc29y");
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("CURSOR_INVALID");
  });
});

describe("operations endpoints", () => {
  it("answers /health and /ready", async () => {
    expect(await server.call("GET", "/health")).toMatchObject({
      status: 200,
      body: { status: "ok" },
    });
    expect(await server.call("GET", "/ready")).toMatchObject({
      status: 200,
      body: { status: "ready" },
    });
  });

  it("serves the OpenAPI document with the contract's response schema", async () => {
    const response = await server.call("GET", "/docs/json");
    expect(response.status).toBe(200);
    const { paths, info } = response.body;
    expect(info.title).toBe("Sagaworks customer service");
    expect(Object.keys(paths["/customers"]).sort()).toEqual(["get", "post"]);
    expect(Object.keys(paths["/customers/{id}"]).sort()).toEqual(["get", "patch"]);
    const ok = paths["/customers/{id}"].get.responses["200"].content["application/json"].schema;
    expect(Object.keys(ok.properties).sort()).toEqual(contractKeys);
    const ui = await fetch(`${server.baseUrl}/docs`);
    expect(ui.status).toBeLessThan(400);
  });
});

describe("GET /customers/:id/fraud-check", () => {
  it("clears a charge within the credit limit, refuses one above it or for a suspended customer, in the contract's shapes", async () => {
    await server.call("POST", "/customers", newCustomer("cust-fraud"));
    const clear = await server.call("GET", "/customers/cust-fraud/fraud-check?amountCents=10000");
    expect(clear).toMatchObject({
      status: 200,
      body: { customerId: "cust-fraud", verdict: "clear" },
    });
    expect(fraudCheckClear.safeParse(clear.body).success).toBe(true);
    const above = await server.call("GET", "/customers/cust-fraud/fraud-check?amountCents=10001");
    expect(above.status).toBe(422);
    expect(customerError.parse(above.body)).toMatchObject({ error: "FRAUD_SUSPECTED" });
    await server.call("PATCH", "/customers/cust-fraud", { status: "SUSPENDED" });
    const suspended = await server.call("GET", "/customers/cust-fraud/fraud-check?amountCents=1");
    expect(suspended.status).toBe(422);
    expect((suspended.body as { message: string }).message).toMatch(/suspended/);
    const unknown = await server.call("GET", "/customers/nobody/fraud-check?amountCents=1");
    expect(unknown.status).toBe(404);
    const bad = await server.call("GET", "/customers/cust-fraud/fraud-check?amountCents=-1");
    expect(bad.status).toBe(400);
  });
});

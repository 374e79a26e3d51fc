import { randomUUID } from "node:crypto";
import type { HttpAnswer, ParticipantWorld } from "@sagaworks/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountSummary, accountView } from "../src/index.ts";
import { startAccountWorld } from "./account-world.ts";

let w: ParticipantWorld;
beforeAll(async () => {
  w = await startAccountWorld("account api");
});
afterAll(async () => {
  await w?.close();
});

describe("POST /accounts", () => {
  it("opens an account with its whole limit available, once", async () => {
    const customerId = `cust-${randomUUID()}`;
    const created = await w.call("POST", "/accounts", { customerId, creditLimitCents: 50_000 });
    expect(created.status).toBe(201);
    expect(accountView.strict().parse(created.body)).toEqual(created.body);
    expect(created.body).toMatchObject({
      customerId,
      creditLimitCents: 50_000,
      availableCents: 50_000,
      reservedCents: 0,
      spentCents: 0,
      reservations: [],
    });
    const again = await w.call("POST", "/accounts", { customerId, creditLimitCents: 1 });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "ACCOUNT_EXISTS", details: { customerId } });
    expect((await w.call("GET", `/accounts/${customerId}`)).body.creditLimitCents).toBe(50_000);
  });

  it("answers 400 with every bad field named", async () => {
    const response = await w.call("POST", "/accounts", {
      customerId: "has space",
      creditLimitCents: -1,
      extra: true,
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("REQUEST_INVALID");
    const paths = (response.body.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(["body.creditLimitCents", "body.customerId", "body.extra"]);
    const fractional = await w.call("POST", "/accounts", {
      customerId: "cust-x",
      creditLimitCents: 1.5,
    });
    expect(fractional.status).toBe(400);
    expect((await w.call("POST", "/accounts", "{")).status).toBe(400);
  });
});

describe("GET /accounts/:customerId", () => {
  it("shows the balances and the reservations made by saga commands", async () => {
    const customerId = `cust-${randomUUID()}`;
    await w.call("POST", "/accounts", { customerId, creditLimitCents: 10_000 });
    const orderId = randomUUID();
    const reserve = w.command(
      "ReserveCredit",
      { customerId, orderId, amountCents: 1_234 },
      { sagaId: orderId, step: "reserve-credit" },
    );
    expect((await w.ask(reserve)).name).toBe("CreditReserved");
    const read = await w.call("GET", `/accounts/${customerId}`);
    expect(read.status).toBe(200);
    expect(accountView.strict().parse(read.body)).toEqual(read.body);
    expect(read.body).toMatchObject({
      availableCents: 8_766,
      reservedCents: 1_234,
      reservations: [{ orderId, amountCents: 1_234, status: "RESERVED" }],
    });
  });

  it("answers 404 ACCOUNT_NOT_FOUND for a customer without an account", async () => {
    const response = await w.call("GET", "/accounts/cust-nobody");
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("ACCOUNT_NOT_FOUND");
  });
});

describe("GET /accounts", () => {
  it("lists every account exactly once across pages, in customer-id order", async () => {
    const prefix = `page-${randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
    for (const customerId of [...ids].reverse()) {
      expect((await w.call("POST", "/accounts", { customerId, creditLimitCents: 1 })).status).toBe(
        201,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: HttpAnswer = await w.call(
        "GET",
        `/accounts?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      for (const item of page.body.items) expect(accountSummary.strict().parse(item)).toEqual(item);
      seen.push(...page.body.items.map((a: { customerId: string }) => a.customerId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen.filter((id) => id.startsWith(prefix))).toEqual(ids);
  });

  it("answers 400 for a bad limit or a foreign cursor", async () => {
    expect((await w.call("GET", "/accounts?limit=abc")).body.code).toBe("REQUEST_INVALID");
    const badCursor = await w.call("GET", "/accounts?cursor=zzz");
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe("CURSOR_INVALID");
  });
});

import { randomUUID } from "node:crypto";
import { waitFor } from "@sagaworks/participant-sdk/testing";
import type { ParticipantWorld } from "@sagaworks/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../src/index.ts";
import { startAccountWorld } from "./account-world.ts";

let w: ParticipantWorld;
beforeAll(async () => {
  w = await startAccountWorld("account commands");
});
afterAll(async () => {
  await w?.close();
});

const store = () => createAccountStore(w.db.knex);

/** Opens an account for a fresh customer; returns its id. */
async function openAccount(creditLimitCents = 10_000): Promise<string> {
  const customerId = `cust-${randomUUID()}`;
  await store().create(customerId, creditLimitCents);
  return customerId;
}

function reserve(
  customerId: string,
  orderId: string,
  amountCents: number,
  options: { sagaId?: string; step?: string; attempt?: number } = {},
) {
  return w.command(
    "ReserveCredit",
    { customerId, orderId, amountCents },
    { sagaId: orderId, step: "reserve-credit", ...options },
  );
}

function release(
  customerId: string,
  orderId: string,
  amountCents: number,
  options: { sagaId?: string; step?: string; compensation?: boolean } = {},
) {
  return w.command(
    "ReleaseCredit",
    { customerId, orderId, amountCents },
    { step: "release-credit", ...options },
  );
}

/** The ReleaseCredit that compensates saga `sagaId`'s reserve-credit step. */
function undoReserve(customerId: string, orderId: string, amountCents: number, sagaId: string) {
  return release(customerId, orderId, amountCents, {
    sagaId,
    step: "reserve-credit",
    compensation: true,
  });
}

const balances = async (customerId: string) => {
  const account = await store().get(customerId);
  return {
    available: account?.availableCents,
    reserved: account?.reservedCents,
    spent: account?.spentCents,
  };
};

describe("ReserveCredit", () => {
  it("reserves once, and answers a duplicate with the same reply and no second effect", async () => {
    const customerId = await openAccount(10_000);
    const orderId = randomUUID();
    const first = reserve(customerId, orderId, 2_500);
    const reply = await w.ask(first);
    expect(reply).toMatchObject({
      name: "CreditReserved",
      payload: { customerId, orderId, amountCents: 2_500, availableCreditCents: 7_500 },
    });
    const retry = reserve(customerId, orderId, 2_500, { attempt: 2 });
    expect((await w.ask(retry)).payload).toEqual(reply.payload);
    expect(await balances(customerId)).toEqual({ available: 7_500, reserved: 2_500, spent: 0 });
    expect(await store().reservation(orderId)).toMatchObject({
      customerId,
      amountCents: 2_500,
      status: "RESERVED",
    });
  });

  it("confirms the same reservation asked under another key, and refuses a different one", async () => {
    const customerId = await openAccount(10_000);
    const orderId = randomUUID();
    await w.ask(reserve(customerId, orderId, 1_000));
    const replay = reserve(customerId, orderId, 1_000, { sagaId: randomUUID() });
    expect(await w.ask(replay)).toMatchObject({
      name: "CreditReserved",
      payload: { availableCreditCents: 9_000 },
    });
    const other = reserve(customerId, orderId, 3_000, { sagaId: randomUUID() });
    expect((await w.ask(other)).payload).toMatchObject({ code: "RESERVATION_CONFLICT" });
    expect(await balances(customerId)).toEqual({ available: 9_000, reserved: 1_000, spent: 0 });
  });

  it("answers CreditLimitExceeded and changes nothing when the credit does not cover the order", async () => {
    const customerId = await openAccount(5_000);
    await w.ask(reserve(customerId, randomUUID(), 4_000));
    const orderId = randomUUID();
    expect(await w.ask(reserve(customerId, orderId, 1_001))).toMatchObject({
      name: "CreditLimitExceeded",
      payload: { customerId, orderId, requestedCents: 1_001, availableCreditCents: 1_000 },
    });
    expect(await balances(customerId)).toEqual({ available: 1_000, reserved: 4_000, spent: 0 });
    expect(await store().reservation(orderId)).toBeUndefined();
    // Exactly the available credit still fits.
    expect((await w.ask(reserve(customerId, randomUUID(), 1_000))).name).toBe("CreditReserved");
    expect(await balances(customerId)).toEqual({ available: 0, reserved: 5_000, spent: 0 });
  });

  it("fails with ACCOUNT_NOT_FOUND (non-retryable in create-order) for a customer without an account", async () => {
    const orderId = randomUUID();
    const reply = await w.ask(reserve("cust-nobody", orderId, 100));
    expect(reply).toMatchObject({
      name: "CommandFailed",
      payload: { code: "ACCOUNT_NOT_FOUND", message: expect.stringContaining("cust-nobody") },
    });
    expect(await store().reservation(orderId)).toBeUndefined();
  });

  it("records a zero-cent reservation for a free order, and releases it", async () => {
    const customerId = await openAccount(100);
    const orderId = randomUUID();
    expect((await w.ask(reserve(customerId, orderId, 0))).name).toBe("CreditReserved");
    expect((await w.ask(release(customerId, orderId, 0))).payload).toMatchObject({
      releasedCents: 0,
      availableCreditCents: 100,
    });
  });
});

describe("ReleaseCredit", () => {
  it("releases a reservation once and answers repeats without giving the credit back twice", async () => {
    const customerId = await openAccount(10_000);
    const orderId = randomUUID();
    await w.ask(reserve(customerId, orderId, 4_000));
    const sagaId = randomUUID();
    const first = release(customerId, orderId, 4_000, { sagaId });
    const reply = await w.ask(first);
    expect(reply).toMatchObject({
      name: "CreditReleased",
      payload: { customerId, orderId, releasedCents: 4_000, availableCreditCents: 10_000 },
    });
    expect(await balances(customerId)).toEqual({ available: 10_000, reserved: 0, spent: 0 });
    expect((await store().reservation(orderId))?.status).toBe("RELEASED");

    expect((await w.ask(release(customerId, orderId, 4_000, { sagaId }))).payload).toEqual(
      reply.payload,
    );
    const replay = release(customerId, orderId, 4_000, { sagaId: randomUUID() });
    expect(await w.ask(replay)).toMatchObject({
      name: "CreditReleased",
      payload: { releasedCents: 4_000, availableCreditCents: 10_000 },
    });
    expect(await balances(customerId)).toEqual({ available: 10_000, reserved: 0, spent: 0 });
  });

  it("answers CreditReservationNotFound for an order with no reservation, and refuses a wrong amount", async () => {
    const customerId = await openAccount(10_000);
    const unknown = randomUUID();
    expect(await w.ask(release(customerId, unknown, 500))).toMatchObject({
      name: "CreditReservationNotFound",
      payload: { customerId, orderId: unknown },
    });
    const orderId = randomUUID();
    await w.ask(reserve(customerId, orderId, 700));
    expect((await w.ask(release(customerId, orderId, 500))).payload).toMatchObject({
      code: "RESERVATION_CONFLICT",
    });
    expect(await balances(customerId)).toEqual({ available: 9_300, reserved: 700, spent: 0 });
    expect((await w.ask(release("cust-nobody", orderId, 700))).payload).toMatchObject({
      code: "ACCOUNT_NOT_FOUND",
    });
  });

  it("as a compensation after its reserve, gives the credit back", async () => {
    const customerId = await openAccount(10_000);
    const orderId = randomUUID();
    await w.ask(reserve(customerId, orderId, 3_000));
    const undo = undoReserve(customerId, orderId, 3_000, orderId);
    expect((await w.ask(undo)).name).toBe("CreditReleased");
    expect(await balances(customerId)).toEqual({ available: 10_000, reserved: 0, spent: 0 });
  });

  it("as a compensation, never releases a reservation another saga made", async () => {
    const customerId = await openAccount(10_000);
    const orderId = randomUUID();
    const owner = randomUUID();
    await w.ask(reserve(customerId, orderId, 2_000, { sagaId: owner }));
    // A second saga names the same order: its reserve is confirmed as a replay …
    const intruder = randomUUID();
    expect((await w.ask(reserve(customerId, orderId, 2_000, { sagaId: intruder }))).name).toBe(
      "CreditReserved",
    );
    // … but its compensation finds nothing of its own to undo, and the owner keeps its credit.
    const undo = undoReserve(customerId, orderId, 2_000, intruder);
    expect(await w.ask(undo)).toMatchObject({
      name: "CreditReservationNotFound",
      payload: { customerId, orderId },
    });
    expect(await balances(customerId)).toEqual({ available: 8_000, reserved: 2_000, spent: 0 });
    expect(await store().reservation(orderId)).toMatchObject({ status: "RESERVED", sagaId: owner });
    // The owner's own compensation still releases it.
    const own = undoReserve(customerId, orderId, 2_000, owner);
    expect((await w.ask(own)).name).toBe("CreditReleased");
    expect(await balances(customerId)).toEqual({ available: 10_000, reserved: 0, spent: 0 });
  });

  it("as a compensation before its reserve, changes nothing and leaves a guard that refuses the late reserve", async () => {
    const customerId = await openAccount(10_000);
    const orderId = randomUUID();
    const undo = undoReserve(customerId, orderId, 3_000, orderId);
    expect(await w.ask(undo)).toMatchObject({
      name: "CreditReservationNotFound",
      payload: { customerId, orderId },
    });
    const refused = w.service.participant.stats.refusedByGuard;
    await w.send(reserve(customerId, orderId, 3_000));
    await waitFor(() => w.service.participant.stats.refusedByGuard === refused + 1, {
      description: "the late ReserveCredit to be refused",
    });
    expect(await store().reservation(orderId)).toBeUndefined();
    expect(await balances(customerId)).toEqual({ available: 10_000, reserved: 0, spent: 0 });
    expect(w.replies.forSaga(orderId).map((r) => r.name)).toEqual(["CreditReservationNotFound"]);
  });
});

import { randomUUID } from "node:crypto";
import type { Envelope } from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/participant-sdk/testing";
import { createDatabase, type Database } from "@sagaworks/platform";
import { type ParticipantWorld, testServiceAuth } from "@sagaworks/service-kit/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountService, createAccountStore, startAccountService } from "../src/index.ts";
import { startAccountWorld } from "./account-world.ts";

const COMMANDS = 200;
const LIMIT_CENTS = 300_000;

// Warnings and errors of both replicas. A handler that threw (a CHECK refusing an overdraft that
// a missing lock let through, say) is only redelivered, and every invariant below would still
// hold in the end; the log is where such a race shows.
const problems: { level: number; msg: string }[] = [];
const logger = pino(
  { level: "warn" },
  { write: (line: string) => void problems.push(JSON.parse(line) as (typeof problems)[number]) },
);

let w: ParticipantWorld;
let replica: AccountService;
let replicaDb: Database | undefined;
beforeAll(async () => {
  w = await startAccountWorld("account concurrency", { logger });
  // A second replica on the same queue and schema. On real Postgres it gets its own pool, as a
  // second pod would; PGlite lives in this process only, so there the replicas share it.
  if (w.db.kind === "postgres") {
    replicaDb = await createDatabase({
      databaseUrl: process.env.DATABASE_URL,
      schema: w.db.schema,
      pool: { min: 0, max: 5 },
    });
  }
  replica = await startAccountService({
    db: replicaDb ?? w.db,
    sqs: w.clients.sqs,
    logger,
    prefix: w.prefix,
    waitTimeSeconds: 1,
    auth: testServiceAuth,
  });
});
afterAll(async () => {
  await replica?.stop();
  await replicaDb?.close();
  await w?.close();
});

describe("ReserveCredit under concurrency", () => {
  it(`serialises ${COMMANDS} reserves for one customer sent at once: no overdraft, money conserved, one reply each`, async () => {
    const customerId = `cust-${randomUUID()}`;
    await createAccountStore(w.db.knex).create(customerId, LIMIT_CENTS);
    // Amounts average ~5,000 cents, so the limit covers roughly a third of the orders.
    const commands: Envelope[] = Array.from({ length: COMMANDS }, () => {
      const orderId = randomUUID();
      const amountCents = 500 + Math.floor(Math.random() * 9_000);
      return w.command(
        "ReserveCredit",
        { customerId, orderId, amountCents },
        { sagaId: orderId, step: "reserve-credit" },
      );
    });
    await w.send(...commands);

    const sent = new Set(commands.map((c) => c.messageId));
    await waitFor(() => new Set(w.replies.spy.items.map((r) => r.causationId)).size >= COMMANDS, {
      timeoutMs: 50_000,
      description: `${COMMANDS} replies`,
    });
    // Let both replicas send whatever is still in their outbox before counting replies.
    await replica.stop();
    await w.service.participant.stop();
    expect(problems).toEqual([]);
    const replies = w.replies.spy.items.filter((r) => sent.has(r.causationId ?? ""));
    expect(replies).toHaveLength(COMMANDS);
    expect(new Set(replies.map((r) => r.causationId)).size).toBe(COMMANDS);

    const reserved = replies.filter((r) => r.name === "CreditReserved");
    const refused = replies.filter((r) => r.name === "CreditLimitExceeded");
    expect(reserved.length + refused.length).toBe(COMMANDS);
    expect(reserved.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const reply of refused) {
      // Each refusal was honest at the time it was decided.
      expect(reply.payload.requestedCents as number).toBeGreaterThan(
        reply.payload.availableCreditCents as number,
      );
    }

    const account = await createAccountStore(w.db.knex).get(customerId);
    const rows = (await w.db
      .knex("reservations")
      .where({ customer_id: customerId })
      .select("order_id", "amount_cents", "status")) as {
      order_id: string;
      amount_cents: string | number;
      status: string;
    }[];
    const held = rows.filter((row) => row.status === "RESERVED");
    const heldCents = held.reduce((sum, row) => sum + Number(row.amount_cents), 0);
    expect(account?.availableCents).toBeGreaterThanOrEqual(0);
    expect(account?.creditLimitCents).toBe(
      (account?.availableCents ?? 0) + (account?.reservedCents ?? 0) + (account?.spentCents ?? 0),
    );
    expect(account?.reservedCents).toBe(heldCents);
    expect(held.map((row) => row.order_id).sort()).toEqual(
      reserved.map((r) => r.payload.orderId as string).sort(),
    );
    expect(rows).toHaveLength(reserved.length);
    // Every refusal came after the others had used the credit: what is left cannot cover it.
    const smallestRefused = Math.min(...refused.map((r) => r.payload.requestedCents as number));
    expect(account?.availableCents ?? 0).toBeLessThan(smallestRefused);
  });
});

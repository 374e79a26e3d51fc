import { DEV_COMMAND_KEY } from "@sagaworks/messaging";
import type { Knex } from "@sagaworks/platform";
import type { Effect, SagaSnapshot } from "@sagaworks/saga-engine";
import { describe, expect, it } from "vitest";
import { type Routing, summariseEventDetail, writeEffects } from "./effects.ts";

const now = new Date("2026-11-29T12:00:00.000Z");
const running: SagaSnapshot = {
  sagaId: "s-1",
  sagaName: "create-order",
  sagaVersion: 1,
  sagaHash: "sha256:x",
  status: "running",
  state: "step:reserve-credit",
  input: { customerId: "c-1" },
  steps: {},
  pending: {
    "reserve-credit": {
      step: "reserve-credit",
      compensation: false,
      attempt: 2,
      attemptBase: 0,
      waitingFor: "reply",
      timerId: "t-1",
      idempotencyKey: "s-1:reserve-credit",
    },
  },
  failure: null,
  pivotPassed: false,
  deadlineAt: null,
  startedAt: now.toISOString(),
  updatedAt: now.toISOString(),
  seq: 3,
};

describe("lifecycle events", () => {
  it("carry the input's size, never the input, and cut long strings", () => {
    const detail = summariseEventDetail({
      sagaId: "s-1",
      status: "running",
      input: { note: "x".repeat(300_000) },
      failure: { step: "a", message: "m".repeat(2_000) },
    });
    expect(detail.input).toBeUndefined();
    expect(detail.inputBytes).toBe(300_000 + '{"note":""}'.length);
    expect(detail.sagaId).toBe("s-1");
    expect((detail.failure as { message: string }).message).toHaveLength(501);
    expect(JSON.stringify(detail).length).toBeLessThan(1_000);
  });

  it("never cuts a character outside the BMP in half", () => {
    const detail = summariseEventDetail({ failure: { message: `${"x".repeat(499)}😀 and more` } });
    const message = (detail.failure as { message: string }).message;
    expect(message).toBe(`${"x".repeat(499)}…`);
    expect(message).not.toMatch(/[\uD800-\uDFFF]/);
  });
});

/** A transaction that records the outbox rows inserted into it and gives them ids. */
function recordingTransaction() {
  const inserted: { kind: string; destination: string; message: string }[] = [];
  const trx = (table: string) => ({
    insert: (rows: { kind: string; destination: string; message: string }[]) => ({
      returning: async () => {
        expect(table).toBe("saga_outbox");
        inserted.push(...rows);
        return rows.map((_, index) => ({ id: inserted.length - rows.length + index + 1 }));
      },
    }),
  });
  return { trx: trx as unknown as Knex, inserted };
}

describe("step-level lifecycle events", () => {
  const effects: Effect[] = [
    { type: "publish-event", name: "saga.step.completed", step: "create-order", detail: {} },
    { type: "publish-event", name: "saga.step.compensated", step: "create-order", detail: {} },
    { type: "publish-event", name: "saga.completed", step: null, detail: {} },
  ];
  const routing: Routing = {
    commandQueueUrl: () => "http://queue",
    replyQueueName: "replies",
    replyQueueUrl: "http://replies",
    eventsTopicArn: "arn:aws:sns:us-east-1:000000000000:events",
    commandKeys: { current: DEV_COMMAND_KEY },
  };
  const snapshot = { ...running, sagaId: "6f1c2a4e-9b7d-4c3e-8a1f-2d5e7b9c0a11" };
  const published = (inserted: { message: string }[]) =>
    inserted.map((row) => JSON.parse(JSON.parse(row.message).body).name);

  it("are left out by default: only saga-level events reach the outbox", async () => {
    const { trx, inserted } = recordingTransaction();
    const rows = await writeEffects(trx, effects, {
      snapshot,
      traceId: "0".repeat(32),
      routing,
      now,
    });
    expect(published(inserted)).toEqual(["saga.completed"]);
    expect(rows).toHaveLength(1);
  });

  it("are published when the environment opts in", async () => {
    const { trx, inserted } = recordingTransaction();
    await writeEffects(trx, effects, {
      snapshot,
      traceId: "0".repeat(32),
      routing: { ...routing, stepEvents: true },
      now,
    });
    expect(published(inserted)).toEqual([
      "saga.step.completed",
      "saga.step.compensated",
      "saga.completed",
    ]);
  });
});

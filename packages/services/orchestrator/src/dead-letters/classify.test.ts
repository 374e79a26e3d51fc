import { randomUUID } from "node:crypto";
import {
  createCommandEnvelope,
  createEventEnvelope,
  createReplyEnvelope,
  encodeEnvelope,
} from "@sagaworks/messaging";
import { describe, expect, it } from "vitest";
import {
  classify,
  groupMessages,
  type PendingSummary,
  type SagaState,
  Verdict,
} from "./classify.ts";
import type { DlqMessage } from "./message.ts";

const sagaId = randomUUID();

function message(body: string, reason: string | null = "handler threw: down"): DlqMessage {
  return {
    sqsMessageId: randomUUID(),
    receiptHandle: "r",
    body,
    attributes: {},
    sentAt: new Date(0),
    reason,
  };
}

function command(
  overrides: {
    step?: string;
    attempt?: number;
    compensation?: boolean;
    kind?: "command" | "reply" | "event";
  } = {},
) {
  const kind = overrides.kind ?? "command";
  const common = { sagaId, sagaName: "create-order", sagaVersion: 1, payload: {} };
  const step = overrides.step ?? "reserve-credit";
  const attempt = overrides.attempt ?? 1;
  const compensation = overrides.compensation ?? false;
  const actionKey = `${sagaId}:reserve-credit`;
  const envelope =
    kind === "event"
      ? createEventEnvelope({ ...common, name: "ReserveCredit", step })
      : kind === "reply"
        ? createReplyEnvelope({
            ...common,
            name: "CreditReserved",
            step,
            attempt,
            compensation,
            causationId: randomUUID(),
          })
        : createCommandEnvelope({
            ...common,
            name: "ReserveCredit",
            step,
            attempt,
            replyTo: "dev-saga-replies",
            ...(compensation
              ? { compensation: true, idempotencyKey: `${actionKey}:compensation`, actionKey }
              : { compensation: false, idempotencyKey: actionKey }),
          });
  return message(encodeEnvelope(envelope));
}

function saga(status: string, pending: PendingSummary | null): SagaState {
  return {
    status,
    state: pending ? `step:${pending.step}` : status,
    updatedAt: "2026-01-01T00:00:00.000Z",
    pending: pending ? { [pending.step]: pending } : {},
  };
}

const waitingFor = (step: string, attempt = 1, compensation = false) =>
  saga("running", { step, attempt, compensation, waitingFor: "reply" });

describe("classify", () => {
  it("calls a message useful only when the saga waits for exactly its step, attempt and direction", () => {
    expect(classify(command(), waitingFor("reserve-credit")).verdict).toBe(Verdict.waiting);
    expect(classify(command({ kind: "reply" }), waitingFor("reserve-credit")).verdict).toBe(
      Verdict.waiting,
    );
    const older = classify(command(), waitingFor("reserve-credit", 2));
    expect(older.verdict).toBe(Verdict.stale);
    expect(older.explanation).toBe(
      "saga moved on from reserve-credit attempt 1; it is at reserve-credit attempt 2 (reply)",
    );
    expect(classify(command(), waitingFor("reserve-credit", 1, true)).verdict).toBe(Verdict.stale);
    expect(classify(command(), waitingFor("approve-order")).verdict).toBe(Verdict.stale);
    const timer = saga("running", {
      step: "reserve-credit",
      attempt: 1,
      compensation: false,
      waitingFor: "retry-timer",
    });
    expect(classify(command(), timer).verdict).toBe(Verdict.stale);
  });

  it("calls messages of finished sagas stale and sends parked ones to the operator actions", () => {
    expect(classify(command(), saga("completed", null))).toMatchObject({
      verdict: Verdict.stale,
      explanation: "saga already completed",
    });
    const parked = saga("needs-intervention", {
      step: "reserve-credit",
      attempt: 1,
      compensation: false,
      waitingFor: "reply",
    });
    expect(classify(command(), parked).explanation).toContain("ops sagas retry");
  });

  it("tells unknown sagas, poison bodies and events apart", () => {
    expect(classify(command(), null).verdict).toBe(Verdict.unknownSaga);
    const poison = classify(message("{ not json"), undefined);
    expect(poison.verdict).toBe(Verdict.poison);
    expect(poison.explanation).toContain("not JSON");
    expect(classify(message(JSON.stringify({ messageId: "x" })), undefined).verdict).toBe(
      Verdict.poison,
    );
    expect(classify(command({ kind: "event" }), undefined).verdict).toBe(Verdict.event);
  });

  it("groups by verdict, type, step and reason, biggest first, with a sample", () => {
    const items = [
      classify(command(), waitingFor("reserve-credit")),
      classify(command(), waitingFor("reserve-credit")),
      classify(message("x", null), undefined),
    ];
    const groups = groupMessages(items);
    expect(groups.map((g) => [g.count, g.key])).toEqual([
      [
        2,
        "waiting · command ReserveCredit · create-order step reserve-credit · handler threw: down",
      ],
      [1, "poison · not an envelope · no reason recorded"],
    ]);
    expect(groups[0]?.sample).toBe(items[0]);
  });
});

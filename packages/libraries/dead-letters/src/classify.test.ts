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
import { replayable } from "./plan.ts";

const sagaId = randomUUID();
/** The classification's clock: the envelopes below are sent now. */
const NOW = new Date();

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
  it("calls a command or reply too old for its receiver poison, with the receiver's reason", () => {
    const DAY_MS = 24 * 60 * 60 * 1000;
    const later = new Date(NOW.getTime() + 22 * DAY_MS);
    const old = classify(command(), waitingFor("reserve-credit"), later);
    expect(old.verdict).toBe(Verdict.poison);
    expect(old.explanation).toMatch(
      /^ReserveCredit refused: it was signed 22 days ago .*longer than any redelivery or replay allows \(19 days\)/,
    );
    const oldReply = classify(command({ kind: "reply" }), waitingFor("reserve-credit"), later);
    expect(oldReply.verdict).toBe(Verdict.poison);
    expect(oldReply.explanation).toMatch(/^CreditReserved refused: it was signed 22 days ago/);
    // 18 days is still a genuine redelivery; a message from an hour ahead is not.
    const within = new Date(NOW.getTime() + 18 * DAY_MS);
    expect(classify(command(), waitingFor("reserve-credit"), within).verdict).toBe(Verdict.waiting);
    const earlier = new Date(NOW.getTime() - 60 * 60 * 1000);
    expect(classify(command(), waitingFor("reserve-credit"), earlier).explanation).toMatch(
      /dated 60 min in the future/,
    );
    // Events are not signed: their age says nothing about a replay.
    expect(classify(command({ kind: "event" }), undefined, later).verdict).toBe(Verdict.event);
  });

  it("calls a message useful only when the saga waits for exactly its step, attempt and direction", () => {
    expect(classify(command(), waitingFor("reserve-credit"), NOW).verdict).toBe(Verdict.waiting);
    expect(classify(command({ kind: "reply" }), waitingFor("reserve-credit"), NOW).verdict).toBe(
      Verdict.waiting,
    );
    const older = classify(command(), waitingFor("reserve-credit", 2), NOW);
    expect(older.verdict).toBe(Verdict.stale);
    expect(older.explanation).toBe(
      "saga moved on from reserve-credit attempt 1; it is at reserve-credit attempt 2, waiting for its reply",
    );
    expect(classify(command(), waitingFor("reserve-credit", 1, true), NOW).verdict).toBe(
      Verdict.stale,
    );
    expect(classify(command(), waitingFor("approve-order"), NOW).verdict).toBe(Verdict.stale);
    const timer = saga("running", {
      step: "reserve-credit",
      attempt: 1,
      compensation: false,
      waitingFor: "retry-timer",
    });
    expect(classify(command(), timer, NOW)).toMatchObject({
      verdict: Verdict.stale,
      // Never "moved on from attempt 1; it is at attempt 1": say what happened to it.
      explanation:
        "reserve-credit attempt 1 already failed; the saga waits for its retry timer and sends attempt 2 itself",
    });
  });

  it("calls messages of finished sagas stale and sends parked ones to the operator actions", () => {
    expect(classify(command(), saga("completed", null), NOW)).toMatchObject({
      verdict: Verdict.stale,
      explanation: "saga already completed",
    });
    const parked = saga("needs-intervention", {
      step: "reserve-credit",
      attempt: 1,
      compensation: false,
      waitingFor: "reply",
    });
    expect(classify(command(), parked, NOW).explanation).toContain("ops sagas retry");
  });

  it("tells unknown sagas, poison bodies and events apart", () => {
    expect(classify(command(), null, NOW).verdict).toBe(Verdict.unknownSaga);
    const poison = classify(message("{ not json"), undefined, NOW);
    expect(poison.verdict).toBe(Verdict.poison);
    expect(poison.explanation).toContain("not JSON");
    expect(classify(message(JSON.stringify({ messageId: "x" })), undefined, NOW).verdict).toBe(
      Verdict.poison,
    );
    expect(classify(command({ kind: "event" }), undefined, NOW).verdict).toBe(Verdict.event);
  });

  it("says a pruned saga finished and where its record went, not that it is unknown", () => {
    const archived = classify(
      command(),
      { pruned: true, prunedAt: "2026-03-31T00:00:00.000Z", location: "s3://audit/sagas/a.jsonl" },
      NOW,
    );
    expect(archived.verdict).toBe(Verdict.archived);
    expect(archived.explanation).toBe(
      "saga finished and was pruned on 2026-03-31T00:00:00.000Z after its retention period (its record is archived in s3://audit/sagas/a.jsonl): nothing waits for this message; delete it",
    );
    expect(archived.pruned).toMatchObject({ location: "s3://audit/sagas/a.jsonl" });
    expect(archived.saga).toBeNull();
    const unarchived = classify(
      command(),
      { pruned: true, prunedAt: "2026-03-31T00:00:00.000Z", location: null },
      NOW,
    );
    expect(unarchived.explanation).toContain("(not archived)");
    // Too old to be accepted stays poison: the receiver would refuse it whatever the saga.
    const old = new Date(NOW.getTime() + 30 * 24 * 60 * 60 * 1000);
    expect(
      classify(command(), { pruned: true, prunedAt: NOW.toISOString(), location: null }, old)
        .verdict,
    ).toBe(Verdict.poison);
    // Never replayed, listed after what a replay helps.
    expect(replayable(Verdict.archived, true)).toBe(false);
    const groups = groupMessages([
      archived,
      classify(command(), waitingFor("reserve-credit"), NOW),
      classify(message("x", null), undefined, NOW),
    ]);
    expect(groups.map((g) => g.verdict)).toEqual([
      Verdict.waiting,
      Verdict.archived,
      Verdict.poison,
    ]);
  });

  it("groups by verdict, type, step and reason, biggest first, with a sample", () => {
    const items = [
      classify(command(), waitingFor("reserve-credit"), NOW),
      classify(command(), waitingFor("reserve-credit"), NOW),
      classify(message("x", null), undefined, NOW),
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

  it("lists the groups a replay helps first, however small", () => {
    const groups = groupMessages([
      classify(message("x", null), undefined, NOW),
      classify(message("y", null), undefined, NOW),
      classify(command(), saga("completed", null), NOW),
      classify(command(), waitingFor("reserve-credit"), NOW),
    ]);
    expect(groups.map((g) => g.verdict)).toEqual([Verdict.waiting, Verdict.stale, Verdict.poison]);
  });
});

import { decodeEnvelope, encodeEnvelope, verifyEnvelopeSignature } from "@sagaworks/messaging";
import { actionKey, commandMessageId, compensationKey } from "@sagaworks/saga-engine";
import { describe, expect, it } from "vitest";
import { commandEnvelopeOf, eventEnvelopeOf } from "./envelopes.ts";

const saga = {
  sagaId: "6f1c1a4e-3c7b-4a37-9d3e-2a1b0c9d8e7f",
  sagaName: "create-order",
  sagaVersion: 2,
};
const keys = { current: "test-command-key-at-least-32-characters!" };
const send = {
  payload: { orderId: "o-1" },
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  replyTo: "dev-saga-replies",
  keys,
  now: new Date("2026-01-01T00:00:00.000Z"),
};
const effect = (compensation: boolean) =>
  ({
    type: "send-command",
    service: "account",
    command: compensation ? "ReleaseCredit" : "ReserveCredit",
    payload: {},
    step: "reserve-credit",
    attempt: 3,
    compensation,
    idempotencyKey: compensation
      ? compensationKey(saga.sagaId, "reserve-credit")
      : actionKey(saga.sagaId, "reserve-credit"),
    messageId: commandMessageId(saga.sagaId, `reserve-credit:${compensation}`, 3),
    ...(compensation ? { actionApplied: true } : {}),
  }) as const;

describe("the envelopes the orchestrator sends", () => {
  it("names the action a compensation undoes by the engine's action key, signed", () => {
    const command = commandEnvelopeOf(effect(true), saga, send);
    expect(command).toMatchObject({
      kind: "command",
      compensation: true,
      idempotencyKey: compensationKey(saga.sagaId, "reserve-credit"),
      actionKey: actionKey(saga.sagaId, "reserve-credit"),
      replyTo: "dev-saga-replies",
      sentAt: "2026-01-01T00:00:00.000Z",
    });
    const received = decodeEnvelope(encodeEnvelope(command));
    if (received.kind !== "command") throw new Error("expected a command");
    expect(verifyEnvelopeSignature(received, keys)).toBeUndefined();
  });

  it("sends the engine's message id, and on a compensation whether its action applied, signed", () => {
    const command = commandEnvelopeOf(effect(true), saga, send);
    expect(command.messageId).toBe(effect(true).messageId);
    expect(command).toMatchObject({ actionApplied: true });
    const received = decodeEnvelope(encodeEnvelope(command));
    if (received.kind !== "command" || !received.compensation) throw new Error("expected one");
    expect(received.actionApplied).toBe(true);
    expect(verifyEnvelopeSignature(received, keys)).toBeUndefined();
    // Whoever alters it breaks the signature.
    expect(verifyEnvelopeSignature({ ...received, actionApplied: false }, keys)).toBeDefined();
  });

  it("writes no actionKey on an action", () => {
    const command = commandEnvelopeOf(effect(false), saga, send);
    expect(command).toMatchObject({ compensation: false, attempt: 3 });
    expect(command).not.toHaveProperty("actionKey");
  });

  it("derives, for a compensation in the earlier flat layout, the key the engine gives its action", () => {
    const { actionKey: _written, ...flat } = commandEnvelopeOf(effect(true), saga, send) as {
      actionKey?: string;
    };
    expect(decodeEnvelope(JSON.stringify(flat))).toMatchObject({
      actionKey: actionKey(saga.sagaId, "reserve-credit"),
    });
  });

  it("publishes a saga-level event without step or attempt, a step-level one with its step", () => {
    const detail = { sagaId: saga.sagaId };
    const sagaLevel = eventEnvelopeOf(
      { type: "publish-event", name: "saga.completed", step: null, detail },
      saga,
      send,
    );
    expect(sagaLevel).not.toHaveProperty("step");
    expect(sagaLevel).not.toHaveProperty("attempt");
    const stepLevel = eventEnvelopeOf(
      { type: "publish-event", name: "saga.step.completed", step: "reserve-credit", detail },
      saga,
      send,
    );
    expect(stepLevel).toMatchObject({ kind: "event", step: "reserve-credit" });
  });
});

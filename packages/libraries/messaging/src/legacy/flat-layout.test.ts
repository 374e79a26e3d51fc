import { describe, expect, it } from "vitest";
import {
  type CommandEnvelope,
  type CompensationCommandEnvelope,
  createCommandEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  routingAttributes,
} from "../envelope.ts";
import { type MessagingError, MessagingErrors } from "../errors.ts";
import { signEnvelope, verifyEnvelopeSignature } from "../signature.ts";

// Bodies exactly as the previous release (flat layout, before the union layout) wrote them, its commands
// signed by its own signEnvelope with KEY. They are fixtures: never regenerate them with the
// current code, or they stop testing that old messages still decode and verify.
const KEY = { current: "test-command-key-at-least-32-characters!" };
const SAGA = "6f1c1a4e-3c7b-4a37-9d3e-2a1b0c9d8e7f";
const flat = {
  action: `{"messageId":"00000000-0000-4000-8000-000000000002","kind":"command","name":"ReserveCredit","sagaId":"${SAGA}","sagaName":"create-order","sagaVersion":1,"step":"reserve-credit","attempt":1,"compensation":false,"idempotencyKey":"${SAGA}:reserve-credit","replyTo":"dev-saga-replies","sentAt":"2026-01-01T00:00:00.000Z","payload":{"customerId":"c-1","orderId":"o-1","amountCents":1200},"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},"signature":"v1:TQaPO0R60q13fVek0ZryE_p7kJSk33AONCrQJZEUudY"}`,
  compensation: `{"messageId":"00000000-0000-4000-8000-000000000001","kind":"command","name":"ReleaseCredit","sagaId":"${SAGA}","sagaName":"create-order","sagaVersion":1,"step":"reserve-credit","attempt":2,"compensation":true,"idempotencyKey":"${SAGA}:reserve-credit:compensation","replyTo":"dev-saga-replies","sentAt":"2026-01-01T00:00:00.000Z","payload":{"customerId":"c-1","orderId":"o-1","amountCents":1200},"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},"signature":"v1:2BHt1bAogAHbaHfCnPHHD_GFeDAPMrkHQu0yxq6P0IE"}`,
  reply: `{"messageId":"00000000-0000-4000-8000-000000000003","kind":"reply","name":"CreditReserved","sagaId":"${SAGA}","sagaName":"create-order","sagaVersion":1,"step":"reserve-credit","attempt":1,"compensation":false,"replyTo":null,"causationId":"00000000-0000-4000-8000-000000000002","sentAt":"2026-01-01T00:00:00.000Z","payload":{"amountCents":1200},"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}`,
  sagaEvent: `{"messageId":"00000000-0000-4000-8000-000000000004","kind":"event","name":"saga.completed","sagaId":"${SAGA}","sagaName":"create-order","sagaVersion":1,"step":"(saga)","attempt":1,"compensation":false,"replyTo":null,"sentAt":"2026-01-01T00:00:00.000Z","payload":{"status":"completed"},"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}`,
  stepEvent: `{"messageId":"00000000-0000-4000-8000-000000000005","kind":"event","name":"saga.step.completed","sagaId":"${SAGA}","sagaName":"create-order","sagaVersion":1,"step":"reserve-credit","attempt":1,"compensation":false,"replyTo":null,"sentAt":"2026-01-01T00:00:00.000Z","payload":{"step":"reserve-credit"},"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}`,
};

const asCommand = (body: string): CommandEnvelope => {
  const envelope = decodeEnvelope(body);
  if (envelope.kind !== "command") throw new Error(`expected a command, got a ${envelope.kind}`);
  return envelope;
};

function issuesOfBody(body: string): { path: string; message: string }[] {
  try {
    decodeEnvelope(body);
  } catch (error) {
    expect(error).toSatisfy(MessagingErrors.is);
    return (error as MessagingError).details.issues as { path: string; message: string }[];
  }
  throw new Error("expected the body to be invalid");
}

describe("the flat layout of earlier releases", () => {
  it("decodes an action command unchanged, and its signature verifies", () => {
    const command = asCommand(flat.action);
    expect(command).toEqual(JSON.parse(flat.action));
    expect(verifyEnvelopeSignature(command, KEY)).toBeUndefined();
  });

  it("upgrades a compensation command with the actionKey its idempotency key implies", () => {
    const command = asCommand(flat.compensation);
    expect(command).toEqual({
      ...JSON.parse(flat.compensation),
      actionKey: `${SAGA}:reserve-credit`,
    });
    // Verified over what the old orchestrator signed, before the upgrade.
    expect(verifyEnvelopeSignature(command, KEY)).toBeUndefined();
    expect(verifyEnvelopeSignature(command, { current: `${KEY.current}-other` })).toMatch(
      /does not match/,
    );
  });

  it("does not let a copy, or a changed body, pass for an upgraded command", () => {
    const command = asCommand(flat.compensation);
    // A copy is not what the decoder returned: it is checked as written, and fails.
    expect(verifyEnvelopeSignature({ ...command }, KEY)).toMatch(/does not match/);
    // An actionKey added to an old signed command is checked as part of it, and fails.
    const redirected = { ...JSON.parse(flat.compensation), actionKey: `${SAGA}:other-step` };
    expect(verifyEnvelopeSignature(asCommand(JSON.stringify(redirected)), KEY)).toMatch(
      /does not match/,
    );
    const altered = flat.compensation.replace('"attempt":2', '"attempt":3');
    expect(verifyEnvelopeSignature(asCommand(altered), KEY)).toMatch(/does not match/);
  });

  it("names the missing actionKey of an old compensation whose key follows no convention", () => {
    const body = { ...JSON.parse(flat.compensation), idempotencyKey: "release-1" };
    expect(issuesOfBody(JSON.stringify(body))).toEqual([
      { path: "actionKey", message: expect.stringContaining("is required on a compensation") },
    ]);
    const bare = { ...JSON.parse(flat.compensation), idempotencyKey: ":compensation" };
    expect(issuesOfBody(JSON.stringify(bare)).map((issue) => issue.path)).toEqual(["actionKey"]);
  });

  it("decodes a reply without its replyTo", () => {
    const reply = decodeEnvelope(flat.reply);
    const { replyTo: _null, ...rest } = JSON.parse(flat.reply);
    expect(reply).toEqual(rest);
  });

  it("drops the (saga) step, attempt and compensation of a saga-level event", () => {
    const event = decodeEnvelope(flat.sagaEvent);
    const {
      step: _s,
      attempt: _a,
      compensation: _c,
      replyTo: _r,
      ...rest
    } = JSON.parse(flat.sagaEvent);
    expect(event).toEqual(rest);
  });

  it("keeps the step of a step-level event", () => {
    const event = decodeEnvelope(flat.stepEvent);
    expect(event).toMatchObject({ kind: "event", step: "reserve-credit" });
    expect(event).not.toHaveProperty("attempt");
  });

  it("routes every old message on the attributes it was sent with", () => {
    for (const body of Object.values(flat)) {
      const raw = JSON.parse(body) as { kind: string; name: string; sagaName: string };
      expect(routingAttributes(decodeEnvelope(body))).toEqual({
        kind: raw.kind,
        name: raw.name,
        sagaName: raw.sagaName,
      });
    }
  });

  it("still names bad fields of an old message", () => {
    const body = { ...JSON.parse(flat.compensation), payload: [1], attempt: 0 };
    expect(
      issuesOfBody(JSON.stringify(body))
        .map((issue) => issue.path)
        .sort(),
    ).toEqual(["attempt", "payload"]);
  });
});

describe("command signatures in the union layout", () => {
  const compensation = () =>
    createCommandEnvelope({
      name: "ReleaseCredit",
      sagaId: SAGA,
      sagaName: "create-order",
      sagaVersion: 1,
      step: "reserve-credit",
      attempt: 1,
      compensation: true,
      idempotencyKey: `${SAGA}:reserve-credit:compensation`,
      actionKey: `${SAGA}:reserve-credit`,
      replyTo: "dev-saga-replies",
      payload: { orderId: "o-1" },
    });

  it("verifies a new compensation after a trip through the codec", () => {
    const signed = signEnvelope(compensation(), KEY);
    const received = asCommand(encodeEnvelope(signed));
    expect(verifyEnvelopeSignature(received, KEY)).toBeUndefined();
  });

  it("covers the actionKey: changed, or removed so the decoder derives it, it fails", () => {
    const signed = signEnvelope(compensation() as CompensationCommandEnvelope, KEY);
    const changed = asCommand(encodeEnvelope({ ...signed, actionKey: `${SAGA}:other` }));
    expect(verifyEnvelopeSignature(changed, KEY)).toMatch(/does not match/);
    const { actionKey: _key, ...stripped } = signed;
    const derived = asCommand(JSON.stringify(stripped));
    expect(derived).toMatchObject({ actionKey: `${SAGA}:reserve-credit` });
    expect(verifyEnvelopeSignature(derived, KEY)).toMatch(/does not match/);
  });
});

import { describe, expect, it } from "vitest";
import {
  type CommandEnvelope,
  type CompensationCommandEnvelope,
  createCommandEnvelope,
  createEventEnvelope,
  createReplyEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  envelopeSchema,
  replyToCommand,
  routingAttributes,
  validateEnvelope,
} from "./envelope.ts";
import { type MessagingError, MessagingErrors } from "./errors.ts";

const valid = (): CommandEnvelope =>
  createCommandEnvelope({
    name: "account.reserve-credit",
    sagaId: "6f1c1a4e-3c7b-4a37-9d3e-2a1b0c9d8e7f",
    sagaName: "create-order",
    sagaVersion: 1,
    step: "reserve-credit",
    attempt: 1,
    compensation: false,
    idempotencyKey: "6f1c1a4e:reserve-credit:1",
    replyTo: "dev-saga-replies",
    payload: { customerId: "c-1", amount: 1200 },
  });

function issuesOf(value: unknown): { path: string; message: string }[] {
  try {
    validateEnvelope(value);
  } catch (error) {
    expect(error).toSatisfy(MessagingErrors.is);
    expect((error as MessagingError).code).toBe("ENVELOPE_INVALID");
    return (error as MessagingError).details.issues as { path: string; message: string }[];
  }
  throw new Error("expected the envelope to be invalid");
}

describe("envelope", () => {
  it("round-trips through the codec", () => {
    const envelope = valid();
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
    expect(envelope.trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("validates to exactly what the exported schema parses: fields in its order, extras dropped, a fresh payload", () => {
    const body = {
      extra: "dropped",
      ...valid(),
      causationId: "00000000-0000-4000-8000-000000000001",
      trace: { tracestate: "k=v", traceparent: valid().trace.traceparent, more: 1 },
      payload: { b: [1, { c: null }], a: "x" },
    };
    const expected = envelopeSchema.parse(body);
    const validated = validateEnvelope(body);
    expect(validated).toStrictEqual(expected);
    expect(JSON.stringify(validated)).toBe(JSON.stringify(expected));
    expect(validated.payload).not.toBe(body.payload);
    expect(validated).not.toHaveProperty("extra");
  });

  it("writes characters outside the BMP as JSON escapes, which decode to the same envelope", () => {
    const envelope = valid();
    envelope.payload = { customerId: "cust-😀", note: "𝄞 \\😀 ok é" };
    const body = encodeEnvelope(envelope);
    // Nothing above U+FFFF left in the body: the emulator refuses such characters.
    expect(body).not.toMatch(/[\uD800-\uDFFF]/);
    expect(body).toContain("cust-\\ud83d\\ude00");
    expect(body).toContain("é");
    expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(envelope)));
    expect(decodeEnvelope(body)).toEqual(envelope);
  });

  it.each([
    ["messageId", "not-a-uuid", "must be a UUID"],
    ["kind", "query", "must be command, reply or event"],
    ["name", "9lives", "must start with a letter"],
    ["sagaId", 42, "must be a UUID"],
    ["sagaName", "", "must start with a letter"],
    ["sagaVersion", 1.5, "must be an integer"],
    ["sagaVersion", 0, "must be 1 or more"],
    ["step", "", "must not be empty"],
    ["attempt", 0, "must be 1 or more"],
    ["compensation", "yes", "must be true or false"],
    ["sentAt", "yesterday", "must be an ISO-8601 UTC time"],
    ["payload", [1, 2], "must be a JSON object"],
    ["causationId", "x", "must be a UUID"],
  ])("names the field when %s is %j", (field, value, message) => {
    const issues = issuesOf({ ...valid(), [field]: value });
    expect(issues).toEqual([{ path: field, message: expect.stringContaining(message) }]);
  });

  it("names nested fields with a dotted path", () => {
    const issues = issuesOf({ ...valid(), trace: { traceparent: "abc" } });
    expect(issues).toEqual([
      { path: "trace.traceparent", message: expect.stringContaining("W3C traceparent") },
    ]);
  });

  it("requires an idempotency key and a reply-to on commands", () => {
    const { idempotencyKey: _key, ...withoutKey } = valid();
    const issues = issuesOf({ ...withoutKey, replyTo: null });
    expect(issues.map((i) => i.path).sort()).toEqual(["idempotencyKey", "replyTo"]);
  });

  it("does not require them on events", () => {
    const event = { ...valid(), kind: "event", replyTo: null, idempotencyKey: undefined };
    expect(validateEnvelope(event).kind).toBe("event");
  });

  it("reports every bad field at once", () => {
    const issues = issuesOf({ ...valid(), sagaId: "x", attempt: -1, kind: "other" });
    expect(issues.map((i) => i.path).sort()).toEqual(["attempt", "kind", "sagaId"]);
  });

  it("names missing fields", () => {
    const { sagaName: _name, ...rest } = valid();
    expect(issuesOf(rest)).toEqual([{ path: "sagaName", message: expect.any(String) }]);
  });

  it("rejects a body that is not JSON, or empty, as the whole body", () => {
    expect(() => decodeEnvelope("{oops")).toThrow(/\(body\): is not JSON/);
    expect(() => decodeEnvelope("")).toThrow(/\(body\): is empty/);
    expect(() => decodeEnvelope("[]")).toThrow(/ENVELOPE|envelope is invalid/);
  });

  it("routes on three attributes, leaving room under the limit of ten", () => {
    expect(routingAttributes(valid())).toEqual({
      kind: "command",
      name: "account.reserve-credit",
      sagaName: "create-order",
    });
  });

  it("carries the action's key on a compensation command, and requires it there", () => {
    const compensation = createCommandEnvelope({
      ...valid(),
      name: "account.release-credit",
      compensation: true,
      idempotencyKey: "6f1c1a4e:reserve-credit:compensation",
      actionKey: "6f1c1a4e:reserve-credit",
    });
    expect(decodeEnvelope(encodeEnvelope(compensation))).toMatchObject({
      kind: "command",
      compensation: true,
      actionKey: "6f1c1a4e:reserve-credit",
    });
    const { actionKey: _key, ...withoutKey } = compensation as CompensationCommandEnvelope;
    expect(issuesOf({ ...withoutKey, idempotencyKey: "release-1" })).toEqual([
      { path: "actionKey", message: expect.stringContaining("is required on a compensation") },
    ]);
    expect(issuesOf({ ...compensation, actionKey: "" })).toEqual([
      { path: "actionKey", message: "must not be empty" },
    ]);
  });

  it("will not build a command without its replyTo, nor a compensation without its actionKey", () => {
    const { replyTo: _to, ...unaddressed } = valid();
    // @ts-expect-error: the builder's type requires replyTo, and the schema checks it too.
    expect(() => createCommandEnvelope(unaddressed)).toThrow(/replyTo: is required on commands/);
    expect(() =>
      // @ts-expect-error: a compensation's input type requires actionKey.
      createCommandEnvelope({ ...valid(), compensation: true }),
    ).toThrow(/actionKey: is required on a compensation command/);
  });

  it("builds a reply with its causation id, and requires one", () => {
    const command = valid();
    const reply = createReplyEnvelope({
      name: "CreditReserved",
      sagaId: command.sagaId,
      sagaName: command.sagaName,
      sagaVersion: command.sagaVersion,
      step: command.step,
      attempt: command.attempt,
      compensation: command.compensation,
      causationId: command.messageId,
      payload: { amountCents: 1200 },
    });
    const decoded = decodeEnvelope(encodeEnvelope(reply));
    expect(decoded).toEqual(reply);
    expect(Object.keys(decoded)).not.toContain("replyTo");
    const { causationId: _cause, ...uncaused } = reply;
    expect(issuesOf(uncaused)).toEqual([
      { path: "causationId", message: expect.stringContaining("is required on replies") },
    ]);
  });

  it("derives a reply from its command: same saga, step, attempt and compensation, caused by it", () => {
    const command = valid();
    const at = new Date("2026-03-04T05:06:07.000Z");
    const reply = replyToCommand(
      command,
      { name: "CreditReserved", payload: { amountCents: 1200 } },
      () => at,
    );
    expect(reply).toEqual({
      kind: "reply",
      messageId: expect.any(String),
      name: "CreditReserved",
      sagaId: command.sagaId,
      sagaName: command.sagaName,
      sagaVersion: command.sagaVersion,
      step: command.step,
      attempt: command.attempt,
      compensation: command.compensation,
      causationId: command.messageId,
      sentAt: at.toISOString(),
      payload: { amountCents: 1200 },
      trace: command.trace,
    });
    const own = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    expect(replyToCommand(command, { name: "X", payload: {}, trace: own }).trace).toEqual(own);
  });

  it("builds events with no step or attempt, and with a step when one concerns a step", () => {
    const common = {
      sagaId: "6f1c1a4e-3c7b-4a37-9d3e-2a1b0c9d8e7f",
      sagaName: "create-order",
      sagaVersion: 1,
    };
    const sagaLevel = createEventEnvelope({
      ...common,
      name: "saga.completed",
      payload: { status: "completed" },
    });
    expect(decodeEnvelope(encodeEnvelope(sagaLevel))).toEqual(sagaLevel);
    expect(Object.keys(sagaLevel).sort()).toEqual([
      "kind",
      "messageId",
      "name",
      "payload",
      "sagaId",
      "sagaName",
      "sagaVersion",
      "sentAt",
      "trace",
    ]);
    const stepLevel = createEventEnvelope({
      ...common,
      name: "saga.step.completed",
      step: "reserve-credit",
      payload: {},
    });
    expect(decodeEnvelope(encodeEnvelope(stepLevel))).toMatchObject({ step: "reserve-credit" });
    expect(issuesOf({ ...sagaLevel, step: "" })).toEqual([
      { path: "step", message: "must not be empty" },
    ]);
  });

  it("names a bad payload on every kind", () => {
    const reply = { ...valid(), kind: "reply", causationId: valid().messageId };
    const event = { ...valid(), kind: "event" };
    for (const envelope of [valid(), reply, event]) {
      expect(issuesOf({ ...envelope, payload: "text" })).toEqual([
        { path: "payload", message: "must be a JSON object" },
      ]);
    }
  });

  it("names the compensation flag, and the shared fields, when a command has none", () => {
    const { compensation: _flag, ...unflagged } = valid();
    const issues = issuesOf({ ...unflagged, sagaVersion: 0 });
    expect(issues).toEqual([
      { path: "compensation", message: "must be true or false" },
      { path: "sagaVersion", message: "must be 1 or more" },
    ]);
  });

  it("routes every kind on the same three attributes", () => {
    const event = createEventEnvelope({
      name: "saga.completed",
      sagaId: "6f1c1a4e-3c7b-4a37-9d3e-2a1b0c9d8e7f",
      sagaName: "create-order",
      sagaVersion: 1,
      payload: {},
    });
    expect(routingAttributes(event)).toEqual({
      kind: "event",
      name: "saga.completed",
      sagaName: "create-order",
    });
  });
});

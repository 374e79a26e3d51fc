import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createReplyEnvelope, type ReplyEnvelope } from "./envelope.ts";
import {
  devReplyKey,
  replyKeyFromConfig,
  replyKeyringConfigShape,
  replyKeyringFromConfig,
  signEnvelope,
  verifyEnvelopeSignature,
} from "./signature.ts";

const ORDER = "order-reply-key-0123456789-0123456789";
const ORDER_OLD = "order-old-reply-key-0123456789-012345";
const ACCOUNT = "account-reply-key-0123456789-01234567";
const schema = z.object(replyKeyringConfigShape);

const reply = () =>
  createReplyEnvelope({
    name: "CreditReserved",
    sagaId: "00000000-0000-4000-8000-000000000001",
    sagaName: "create-order",
    sagaVersion: 1,
    step: "reserve-credit",
    attempt: 1,
    compensation: false,
    causationId: "00000000-0000-4000-8000-000000000002",
    payload: { amountCents: 1 },
  });

describe("reply signatures and keys", () => {
  it("signs a reply over every field, and a reply is verified only with its participant's keys", () => {
    const signed = signEnvelope(reply(), { current: ORDER });
    expect(signed.signature).toMatch(/^v1:/);
    expect(verifyEnvelopeSignature(signed, { current: ORDER })).toBeUndefined();
    expect(verifyEnvelopeSignature(signed, { current: ACCOUNT })).toMatch(/does not match/);
    expect(verifyEnvelopeSignature(reply(), { current: ORDER })).toBe("the reply is not signed");
    const altered = { ...signed, sentAt: new Date().toISOString(), attempt: 2 };
    expect(verifyEnvelopeSignature(altered, { current: ORDER })).toMatch(/does not match/);
  });

  it("signs the canonical form: the same signature whatever the order of the fields, pinned", () => {
    // Written by hand in a sender's own field order, with what canonical JSON must get right:
    // nesting, arrays, escapes, non-ASCII and empty keys, -0, an undefined field, the signature.
    const written = {
      signature: "v1:left-out",
      payload: {
        z: [3, { b: null, a: 'é"\\\n' }, [], "😀"],
        é: 1.5,
        A: { y: undefined, x: -0, w: 1e21 },
        "": true,
      },
      kind: "reply",
      causationId: "00000000-0000-4000-8000-000000000002",
      compensation: false,
      attempt: 1,
      step: "reserve-credit",
      trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      sentAt: "2026-01-01T00:00:00.000Z",
      sagaVersion: 1,
      sagaName: "create-order",
      sagaId: "00000000-0000-4000-8000-000000000001",
      name: "CreditReserved",
      messageId: "00000000-0000-4000-8000-000000000003",
    } as ReplyEnvelope;
    // What the signer has always given for it: a change fails every message signed before a deploy.
    const pinned = "v1:S9lZF-I_Jng3647gfmNrtJUBm6RY9EvJh7RYiN_gahk";
    expect(signEnvelope(written, { current: ORDER }).signature).toBe(pinned);
    const reordered = JSON.parse(JSON.stringify({ ...written, signature: pinned }));
    expect(verifyEnvelopeSignature(reordered, { current: ORDER_OLD, previous: [ORDER] })).toBe(
      undefined,
    );
  });

  it("signs an object of many keys in the same canonical order, pinned", () => {
    // More keys than an envelope has, in no order, some non-ASCII: the other sorting path.
    const wide = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`k${(i * 7) % 30}${i % 3 === 0 ? "é" : ""}`, i]),
    );
    const signed = signEnvelope(
      {
        ...reply(),
        sentAt: "2026-01-01T00:00:00.000Z",
        messageId: "00000000-0000-4000-8000-000000000003",
        trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        payload: { wide },
      },
      { current: ORDER },
    );
    expect(signed.signature).toBe("v1:Ex0-9EU5N6XCu1JWJqNhGTXbM4mJDRvijeFzn09KPBk");
  });

  it("reads the orchestrator's keyring, with previous keys for a rotation", () => {
    const config = schema.parse({
      REPLY_SIGNING_KEYS: `order=${ORDER}, account=${ACCOUNT}`,
      REPLY_SIGNING_PREVIOUS_KEYS: `order=${ORDER_OLD}`,
    });
    expect(replyKeyringFromConfig(config, ["order", "account"], false)).toEqual({
      order: { current: ORDER, previous: [ORDER_OLD] },
      account: { current: ACCOUNT, previous: [] },
    });
    const old = signEnvelope(reply(), { current: ORDER_OLD });
    const keyring = replyKeyringFromConfig(config, ["order", "account"], false);
    expect(verifyEnvelopeSignature(old, keyring.order ?? { current: "" })).toBeUndefined();
  });

  it("names every participant without a key outside development, and fills development keys in it", () => {
    const config = schema.parse({ REPLY_SIGNING_KEYS: `order=${ORDER}` });
    expect(() => replyKeyringFromConfig(config, ["order", "account", "billing"], false)).toThrow(
      /REPLY_SIGNING_KEYS has no key for account, billing.*account=<key>,billing=<key>/,
    );
    expect(replyKeyringFromConfig(config, ["order", "account"], true)).toEqual({
      order: { current: ORDER, previous: [] },
      account: { current: devReplyKey("account"), previous: [] },
    });
    expect(devReplyKey("order")).not.toBe(devReplyKey("account"));
    expect(() => replyKeyFromConfig({}, "order", false)).toThrow(/REPLY_SIGNING_KEY is required/);
    expect(replyKeyFromConfig({}, "order", true)).toEqual({ current: devReplyKey("order") });
  });

  it("refuses malformed entries, short keys and a participant named twice, without echoing a key", () => {
    const result = schema.safeParse({
      REPLY_SIGNING_KEYS: `order=short,account,order=${ORDER},account=${ACCOUNT},account=${ACCOUNT}`,
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((issue) => issue.message) ?? [];
    expect(messages).toEqual([
      "the key of order must be at least 32 characters",
      "an entry is not participant=key",
      "account is named twice",
    ]);
    expect(JSON.stringify(result.error?.issues)).not.toContain(ACCOUNT);
  });
});

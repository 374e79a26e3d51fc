import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { type MessagingError, MessagingErrorCode, MessagingErrors } from "./errors.ts";
import type { StringAttributes } from "./limits.ts";

/** What a message is: a command to a participant, its reply, or a lifecycle event. */
export const MessageKind = { command: "command", reply: "reply", event: "event" } as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

/** W3C trace context, carried so a saga's messages join one distributed trace. */
export const traceContextSchema = z.object({
  traceparent: z
    .string()
    .regex(TRACEPARENT, "must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)"),
  tracestate: z.string().max(512, "must be at most 512 characters").optional(),
});
export type TraceContext = z.infer<typeof traceContextSchema>;

/**
 * The envelope every saga message travels in. `messageId` is unique per logical message and is
 * what receivers deduplicate on; SQS's own MessageId changes on a resend and is not used.
 */
export const envelopeSchema = z
  .object({
    messageId: z.uuid({ message: "must be a UUID" }),
    kind: z.enum(["command", "reply", "event"], { message: "must be command, reply or event" }),
    name: z.string().regex(NAME, "must start with a letter and use letters, digits, . _ -"),
    sagaId: z.uuid({ message: "must be a UUID" }),
    sagaName: z.string().regex(NAME, "must start with a letter and use letters, digits, . _ -"),
    sagaVersion: z.int({ message: "must be an integer" }).positive("must be 1 or more"),
    step: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"),
    attempt: z.int({ message: "must be an integer" }).positive("must be 1 or more"),
    compensation: z.boolean({ message: "must be true or false" }),
    /** Commands: the key that makes a redelivered command a no-op at the participant. */
    idempotencyKey: z.string().min(1).max(256).optional(),
    /** Commands: where the reply goes (a queue name); null for replies and events. */
    replyTo: z.string().min(1).max(256).nullable(),
    /** The message that caused this one, for tracing a reply back to its command. */
    causationId: z.uuid({ message: "must be a UUID" }).optional(),
    sentAt: z.iso.datetime({
      message: "must be an ISO-8601 UTC time such as 2026-01-01T00:00:00.000Z",
    }),
    payload: z.record(z.string(), z.unknown(), { message: "must be a JSON object" }),
    trace: traceContextSchema,
    /**
     * Commands: proof of origin, `v1:<base64url HMAC-SHA256>` over the rest of the envelope with
     * the key the orchestrator and its participants share (see {@link signEnvelope}).
     */
    signature: z.string().min(1).max(200).optional(),
  })
  .superRefine((envelope, ctx) => {
    if (envelope.kind === "command" && !envelope.idempotencyKey) {
      ctx.addIssue({
        code: "custom",
        path: ["idempotencyKey"],
        message: "is required on commands",
      });
    }
    if (envelope.kind === "command" && !envelope.replyTo) {
      ctx.addIssue({ code: "custom", path: ["replyTo"], message: "is required on commands" });
    }
  });

/** A validated envelope. */
export type Envelope = z.infer<typeof envelopeSchema>;

/** What a caller supplies to build an envelope; the rest gets defaults. */
export type EnvelopeInput = Omit<
  Envelope,
  "messageId" | "sentAt" | "trace" | "replyTo" | "signature"
> & {
  messageId?: string;
  sentAt?: string;
  trace?: TraceContext;
  replyTo?: string | null;
};

/** Builds and validates an envelope: a fresh message id, the current time, a new trace. */
export function createEnvelope(input: EnvelopeInput, now: () => Date = () => new Date()): Envelope {
  const candidate = {
    ...input,
    messageId: input.messageId ?? randomUUID(),
    sentAt: input.sentAt ?? now().toISOString(),
    trace: input.trace ?? { traceparent: newTraceparent() },
    replyTo: input.replyTo ?? null,
  };
  return validateEnvelope(candidate);
}

/** A new W3C traceparent with random trace and span ids, sampled. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}

/** One field that failed validation. */
export interface EnvelopeIssue {
  /** Dotted path to the field, e.g. `trace.traceparent`; `(body)` for the whole message. */
  path: string;
  message: string;
}

function invalid(issues: EnvelopeIssue[], cause?: unknown): MessagingError {
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  return MessagingErrors.create(
    MessagingErrorCode.envelopeInvalid,
    `The message envelope is invalid: ${summary}`,
    { issues },
    { cause },
  );
}

/** Validates an object as an envelope; throws ENVELOPE_INVALID naming every bad field. */
export function validateEnvelope(value: unknown): Envelope {
  const result = envelopeSchema.safeParse(value);
  if (result.success) return result.data;
  throw invalid(
    result.error.issues.map((issue) => ({
      path: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
      message: issue.message,
    })),
    result.error,
  );
}

/** Serialises an envelope to the SQS/SNS message body. */
export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/** Parses and validates a message body; throws ENVELOPE_INVALID with the reason. */
export function decodeEnvelope(body: string | undefined): Envelope {
  if (body === undefined || body === "") {
    throw invalid([{ path: "(body)", message: "is empty" }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw invalid(
      [{ path: "(body)", message: `is not JSON (${(error as Error).message})` }],
      error,
    );
  }
  return validateEnvelope(parsed);
}

/**
 * The attributes SNS filter policies route on. Kept to three so that callers have room under
 * SQS's limit of ten attributes per message.
 */
export function routingAttributes(envelope: Envelope): StringAttributes {
  return { kind: envelope.kind, name: envelope.name, sagaName: envelope.sagaName };
}

const SIGNATURE_VERSION = "v1";

/**
 * The keys that sign and verify commands: `current` signs; `current` and every `previous` key
 * verify, so a key can be rotated without a flag day (add the new one as current and keep the
 * old one as previous until every message it signed is gone).
 */
export interface CommandKeys {
  current: string;
  previous?: readonly string[];
}

// Keys sorted at every level, so the signature does not depend on the order a sender or a JSON
// round trip (jsonb) wrote them in. Recursive: callers catch the RangeError of absurd nesting.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function hmac(envelope: Envelope, key: string): Buffer {
  const { signature: _ignored, ...signed } = envelope;
  return createHmac("sha256", key).update(canonicalJson(signed)).digest();
}

/** Returns the envelope with its `signature` over every other field, made with `keys.current`. */
export function signEnvelope(envelope: Envelope, keys: CommandKeys): Envelope {
  return {
    ...envelope,
    signature: `${SIGNATURE_VERSION}:${hmac(envelope, keys.current).toString("base64url")}`,
  };
}

/**
 * Checks an envelope's signature against every key (current, then previous) in constant time.
 * Returns undefined when one matches, else why not: missing, malformed, or made with another key
 * or over other content (a forged or altered message).
 */
export function verifyEnvelopeSignature(envelope: Envelope, keys: CommandKeys): string | undefined {
  if (!envelope.signature) return "the command is not signed";
  const [version, encoded] = envelope.signature.split(":", 2);
  if (version !== SIGNATURE_VERSION || !encoded) {
    return `the signature is not in the ${SIGNATURE_VERSION}:<base64url> form`;
  }
  const given = Buffer.from(encoded, "base64url");
  let matched = false;
  try {
    for (const key of [keys.current, ...(keys.previous ?? [])]) {
      const expected = hmac(envelope, key);
      // Every key is tried, so the time taken does not say which one (if any) matched.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
  } catch (error) {
    return `the command cannot be verified (${(error as Error).message})`;
  }
  return matched ? undefined : "the signature does not match: forged, altered, or an unknown key";
}

/** The command key a development process uses when none is configured. Never deploy it. */
export const DEV_COMMAND_KEY = "sagaworks-dev-command-key-not-secret";

/**
 * Environment fields of the command keys, shared by the orchestrator and every participant.
 * Spread into a process's config schema and read with {@link commandKeysFromConfig}.
 */
export const commandKeysConfigShape = {
  /** Key that signs (orchestrator) and verifies (participants) commands; at least 32 characters. */
  COMMAND_SIGNING_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  /** Earlier keys still accepted while a rotation is under way, comma-separated; default none. */
  COMMAND_SIGNING_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? "")
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .refine((keys) => keys.every((key) => key.length >= 32), {
      message: "every key must be at least 32 characters",
    }),
};

/**
 * The command keys from a config: the configured ones, else {@link DEV_COMMAND_KEY} on the
 * development default (`SAGAWORKS_BROKER=embedded`); a process on AWS must configure a key.
 */
export function commandKeysFromConfig(
  config: {
    COMMAND_SIGNING_KEY?: string | undefined;
    COMMAND_SIGNING_PREVIOUS_KEYS: readonly string[];
  },
  development: boolean,
): CommandKeys {
  const current = config.COMMAND_SIGNING_KEY ?? (development ? DEV_COMMAND_KEY : undefined);
  if (!current) {
    // A start-up error: the process runner logs it as fatal and exits 1.
    throw new Error(
      "COMMAND_SIGNING_KEY is required outside development (SAGAWORKS_ENV=dev or SAGAWORKS_BROKER=embedded): set the same secret (at least 32 characters) on the orchestrator and every participant.",
    );
  }
  return { current, previous: config.COMMAND_SIGNING_PREVIOUS_KEYS };
}

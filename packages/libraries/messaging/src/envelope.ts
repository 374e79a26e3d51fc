import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";
import { type MessagingError, MessagingErrorCode, MessagingErrors } from "./errors.ts";
import { markUpgradedFromFlatLayout, upgradeFlatLayout } from "./legacy/flat-layout.ts";
import type { StringAttributes } from "./limits.ts";
import { randomHex } from "./random-hex.ts";

/** What a message is: a command to a participant, its reply, or a lifecycle event. */
export const MessageKind = { command: "command", reply: "reply", event: "event" } as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;
const NAME_RULE = "must start with a letter and use letters, digits, . _ -";

/** W3C trace context, carried so a saga's messages join one distributed trace. */
export const traceContextSchema = z.object({
  traceparent: z
    .string()
    .regex(TRACEPARENT, "must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)"),
  tracestate: z.string().max(512, "must be at most 512 characters").optional(),
});
export type TraceContext = z.infer<typeof traceContextSchema>;

/** A message for a field that is absent (`missing`) or present with the wrong type (`wrong`). */
const absentOr =
  (missing: string, wrong: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined || issue.input === null ? missing : wrong;

const uuid = () => z.uuid({ message: "must be a UUID" });
const key = (missing: string) =>
  z
    .string({ error: absentOr(missing, "must be a string") })
    .min(1, "must not be empty")
    .max(256, "must be at most 256 characters");
const stepName = z.string().min(1, "must not be empty").max(128, "must be at most 128 characters");
const attempt = z.int({ message: "must be an integer" }).positive("must be 1 or more");
const compensationFlag = z.boolean({ message: "must be true or false" });

/**
 * Fields every envelope carries, whatever its kind. `messageId` is unique per logical message
 * and is what receivers deduplicate on; SQS's own MessageId changes on a resend and is not used.
 */
const commonFields = {
  messageId: uuid(),
  name: z.string().regex(NAME, NAME_RULE),
  sagaId: uuid(),
  sagaName: z.string().regex(NAME, NAME_RULE),
  sagaVersion: z.int({ message: "must be an integer" }).positive("must be 1 or more"),
  sentAt: z.iso.datetime({
    message: "must be an ISO-8601 UTC time such as 2026-01-01T00:00:00.000Z",
  }),
  payload: z.record(z.string(), z.unknown(), { message: "must be a JSON object" }),
  trace: traceContextSchema,
};

// The command's fields are a superset of the flat layout's, so that a command signed in that
// layout is verified over the same fields it was signed with (see signature.ts).
const commandFields = {
  ...commonFields,
  kind: z.literal("command"),
  step: stepName,
  attempt,
  /** The key that makes a redelivered command a no-op at the participant. */
  idempotencyKey: key("is required on commands"),
  /** Where the reply goes (a queue name); participants answer on their configured queue. */
  replyTo: key("is required on commands"),
  causationId: uuid().optional(),
  /**
   * Proof of origin, `v1:<base64url HMAC-SHA256>` over the rest of the envelope with the key the
   * orchestrator and its participants share (see `signEnvelope`).
   */
  signature: z.string().min(1).max(200).optional(),
};

const replyFields = {
  ...commonFields,
  kind: z.literal("reply"),
  step: stepName,
  attempt,
  compensation: compensationFlag,
  /** The `messageId` of the command answered. */
  causationId: z.uuid({
    error: absentOr(
      "is required on replies: the messageId of the command answered",
      "must be a UUID",
    ),
  }),
  /**
   * Proof of origin, `v1:<base64url HMAC-SHA256>` over the rest of the envelope with the
   * answering participant's own reply key (see `signEnvelope`).
   */
  signature: z.string().min(1).max(200).optional(),
};

/** A reply an earlier link of a chain made, carried on to the end of the chain. */
const carriedReplySchema = z.object(replyFields);

/** One place a chained command's payload takes a value from an earlier link's reply. */
const chainHoleSchema = z.object({
  /** Where in the payload the value goes (object keys and array indexes). */
  at: z.array(z.union([z.string(), z.int().nonnegative()])).max(32),
  /** The chain's step whose reply holds the value. */
  step: stepName,
  /** Where in that reply's payload the value is. */
  path: z.array(z.union([z.string(), z.int().nonnegative()])).max(32),
});

/**
 * A command the participant sends itself, after its own, instead of replying: the orchestrator
 * worked it out in advance, all but the values that come from the replies before it (`holes`).
 */
export const chainLinkSchema = z.object({
  step: stepName,
  service: key("is required on a chain link: the service that takes the command"),
  command: z.string().regex(NAME, NAME_RULE),
  idempotencyKey: key("is required on a chain link"),
  messageId: uuid(),
  /** Reply names of the step before that send this command; any other reply goes back. */
  after: z.array(z.string().regex(NAME, NAME_RULE)).min(1).max(64),
  payload: z.record(z.string(), z.unknown(), { message: "must be a JSON object" }),
  holes: z.array(chainHoleSchema).max(64),
});

const MAX_CHAIN = 16;

const actionCommandSchema = z.object({
  ...commandFields,
  compensation: z.literal(false),
  /**
   * The commands to send after this one, in order, each only when the reply before it is one of
   * its `after` names (see chain.ts). Absent on an ordinary command.
   */
  chain: z.array(chainLinkSchema).min(1).max(MAX_CHAIN).optional(),
  /** The replies of the chain's earlier links, each signed by its own participant. */
  carried: z.array(carriedReplySchema).min(1).max(MAX_CHAIN).optional(),
});

const compensationCommandSchema = z.object({
  ...commandFields,
  compensation: z.literal(true),
  /**
   * The idempotency key of the action this compensation undoes. A participant that has not seen
   * that action yet leaves a guard under this key, so the action, should it arrive late, is
   * refused.
   */
  actionKey: key("is required on a compensation command: the idempotency key of its action"),
  /**
   * True when the orchestrator got the action's success reply: the action ran, whatever the
   * participant's inbox still remembers (it forgets after its retention window). Signed with
   * the rest of the envelope. Absent or false: the participant's inbox decides.
   */
  actionApplied: z.boolean({ message: "must be true or false" }).optional(),
});

/** A command to a participant: an action, or the compensation of one (with its `actionKey`). */
export const commandEnvelopeSchema = z.discriminatedUnion(
  "compensation",
  [actionCommandSchema, compensationCommandSchema],
  { error: () => "must be true or false" },
);

/** A participant's answer to a command, correlated by step, attempt and causation id. */
export const replyEnvelopeSchema = z.object({
  ...replyFields,
  /**
   * The answers of a chain's earlier links (each signed by its own participant), in order: the
   * orchestrator applies them before this one. Absent on an ordinary reply.
   */
  carried: z.array(carriedReplySchema).min(1).max(MAX_CHAIN).optional(),
});

/** A lifecycle event; `step` only on one that concerns a step (`saga.step.*`, for instance). */
export const eventEnvelopeSchema = z.object({
  ...commonFields,
  kind: z.literal("event"),
  step: stepName.optional(),
  causationId: uuid().optional(),
});

/** The envelope every saga message travels in: a union by `kind`; narrow on it to read fields. */
export const envelopeSchema = z.discriminatedUnion(
  "kind",
  [commandEnvelopeSchema, replyEnvelopeSchema, eventEnvelopeSchema],
  { error: () => "must be command, reply or event" },
);

/** A validated envelope of any kind. */
export type Envelope = z.infer<typeof envelopeSchema>;
/** A command (either an action or a compensation). */
export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;
/** A command that undoes an action; `actionKey` names that action. */
export type CompensationCommandEnvelope = z.infer<typeof compensationCommandSchema>;
export type ReplyEnvelope = z.infer<typeof replyEnvelopeSchema>;
/** A reply as a chain carries it: an ordinary reply, without replies of its own. */
export type CarriedReply = z.infer<typeof carriedReplySchema>;
export type ChainLink = z.infer<typeof chainLinkSchema>;
export type ChainHole = ChainLink["holes"][number];
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

// What a builder fills in when the caller leaves it out. Distributes over the command's two forms,
// so a compensation cannot be built without its actionKey.
type Filled = "kind" | "messageId" | "sentAt" | "trace" | "signature";
type BuilderInput<T> = T extends unknown
  ? Omit<T, Filled> & { messageId?: string; sentAt?: string; trace?: TraceContext }
  : never;

/** What a caller supplies to build a command; the id, time and trace get defaults. */
export type CommandInput = BuilderInput<CommandEnvelope>;
/** What a caller supplies to build a reply; the id, time and trace get defaults. */
export type ReplyInput = BuilderInput<ReplyEnvelope>;
/** What a caller supplies to build an event; the id, time and trace get defaults. */
export type EventInput = BuilderInput<EventEnvelope>;

function filled<
  K extends MessageKind,
  I extends { messageId?: string; sentAt?: string; trace?: TraceContext },
>(kind: K, input: I, now: () => Date) {
  return {
    ...input,
    kind,
    messageId: input.messageId ?? randomUUID(),
    sentAt: input.sentAt ?? now().toISOString(),
    trace: input.trace ?? { traceparent: newTraceparent() },
  };
}

/** Builds and validates a command (unsigned: see `signEnvelope`). `now` defaults to the clock. */
export function createCommandEnvelope(
  input: CommandInput,
  now: () => Date = () => new Date(),
): CommandEnvelope {
  return parseOrThrow(commandEnvelopeSchema, filled("command", input, now));
}

/** Builds and validates a reply. `now` defaults to the clock. */
export function createReplyEnvelope(
  input: ReplyInput,
  now: () => Date = () => new Date(),
): ReplyEnvelope {
  return parseOrThrow(replyEnvelopeSchema, filled("reply", input, now));
}

/** What a reply adds to the command it answers; `trace` defaults to the command's. */
export interface ReplyToCommand {
  name: string;
  payload: ReplyEnvelope["payload"];
  trace?: TraceContext | undefined;
  sentAt?: string | undefined;
}

/**
 * Builds and validates the reply to `command` (unsigned: see `signEnvelope`): the same saga,
 * step, attempt and compensation, caused by the command. The one place a reply is derived from
 * its command, for the participant SDK and the test participants alike.
 */
export function replyToCommand(
  command: CommandEnvelope,
  reply: ReplyToCommand,
  now: () => Date = () => new Date(),
): ReplyEnvelope {
  return createReplyEnvelope(
    {
      messageId: replyMessageId(command),
      name: reply.name,
      sagaId: command.sagaId,
      sagaName: command.sagaName,
      sagaVersion: command.sagaVersion,
      step: command.step,
      attempt: command.attempt,
      compensation: command.compensation,
      causationId: command.messageId,
      payload: reply.payload,
      trace: reply.trace ?? command.trace,
      ...(reply.sentAt === undefined ? {} : { sentAt: reply.sentAt }),
    },
    now,
  );
}

/**
 * The message id of the reply to `command`: derived from the command's id (and, in a chain, from
 * the answers it carries), so an answer sent again for the same delivery (a stored reply re-sent
 * after a restart, a redelivered command answered from the inbox) is the same message, which the
 * orchestrator's inbox drops, and an answer to another attempt, or to a chain run again, is not.
 */
export function replyMessageId(command: CommandEnvelope): string {
  const hash = createHash("sha256").update(`${command.messageId}\u0000reply`);
  if (!command.compensation) {
    for (const earlier of command.carried ?? []) hash.update(`\u0000${earlier.messageId}`);
  }
  const hex = hash.digest("hex");
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Builds and validates a lifecycle event. `now` defaults to the clock. */
export function createEventEnvelope(
  input: EventInput,
  now: () => Date = () => new Date(),
): EventEnvelope {
  return parseOrThrow(eventEnvelopeSchema, filled("event", input, now));
}

/** A new random W3C trace id (16 bytes as hex). */
export function newTraceId(): string {
  return randomHex(16);
}

/** A W3C traceparent with a new random span id, sampled, in `traceId`'s trace or a new one. */
export function newTraceparent(traceId: string = newTraceId()): string {
  return `00-${traceId}-${randomHex(8)}-01`;
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

const located = (issues: readonly z.core.$ZodIssue[]): EnvelopeIssue[] =>
  issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
  }));

// With an unknown kind (or, on a command, no valid compensation flag) the union cannot pick a
// layout; the fields every layout shares are still checked, so the sender learns every problem
// at once. Only on the error path: a valid message is parsed once.
const anyKindSchema = z.object({
  ...commonFields,
  step: stepName.optional(),
  attempt: attempt.optional(),
  compensation: compensationFlag.optional(),
  causationId: uuid().optional(),
});

// Every message is validated where it is built and again where it is decoded, so the schemas run
// through zod's compiled fast path: the same output and, since a failure is parsed again by the
// ordinary parser, the same issues, at a fraction of the cost. Compiled on first use, so a
// process that never validates an envelope pays nothing at start.
const compiledSchemas = new Map<z.ZodType, z.ZodType>();

function compiled<S extends z.ZodType>(schema: S): S {
  let fast = compiledSchemas.get(schema);
  if (!fast) {
    fast = z.compile(schema);
    compiledSchemas.set(schema, fast);
  }
  return fast as S;
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = compiled(schema).safeParse(value);
  if (result.success) return result.data;
  let issues = result.error.issues;
  if (issues.some((issue) => issue.code === "invalid_union" && "discriminator" in issue)) {
    const reported = new Set(issues.map((issue) => issue.path.join(".")));
    const others = anyKindSchema.safeParse(value);
    const more = others.success ? [] : others.error.issues;
    issues = [...issues, ...more.filter((issue) => !reported.has(issue.path.join(".")))];
  }
  throw invalid(located(issues), result.error);
}

/**
 * Validates an object read from a queue as an envelope; throws ENVELOPE_INVALID naming every bad
 * field. Accepts the flat layout of earlier releases too, upgraded to the union's (see
 * legacy/flat-layout.ts).
 */
export function validateEnvelope(value: unknown): Envelope {
  const upgrade = upgradeFlatLayout(value);
  const envelope = parseOrThrow(envelopeSchema, upgrade.value);
  if (upgrade.derivedActionKey && envelope.kind === "command") {
    markUpgradedFromFlatLayout(envelope);
  }
  return envelope;
}

/** Any character outside the Basic Multilingual Plane (emoji, many CJK extensions), as a pair. */
const OUTSIDE_BMP = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * Serialises an envelope to the SQS/SNS message body. Characters outside the Basic
 * Multilingual Plane are written as JSON escapes (`\ud83d\ude00`), which is the same JSON:
 * SQS accepts them raw, but the embedded emulator (and some SQS-compatible brokers) refuse any
 * character above U+FFFF in a body, and the escaped form is accepted everywhere.
 */
export function encodeEnvelope(envelope: Envelope): string {
  return escapeOutsideBmp(JSON.stringify(envelope));
}

/** Rewrites each character above U+FFFF in a JSON text as its two `\uXXXX` escapes. */
export function escapeOutsideBmp(json: string): string {
  return json.replace(
    OUTSIDE_BMP,
    (pair) => `\\u${pair.charCodeAt(0).toString(16)}\\u${pair.charCodeAt(1).toString(16)}`,
  );
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

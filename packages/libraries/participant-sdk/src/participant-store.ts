// Every statement on participant_inbox and participant_outbox. The migrations create them; the
// relay in messaging reaches the outbox only through the store `participantOutboxStore` hands it.

import { createHash } from "node:crypto";
import {
  envelopeMessage,
  type OutboxMessage,
  type OutboxRow,
  type OutboxStore,
  outboxAvailableAt,
  type ReplyEnvelope,
  type SigningKeys,
  signEnvelope,
  tableOutboxStore,
} from "@sagaworks/messaging";
import type { Database, Knex, RunStatement } from "@sagaworks/platform";
import { ParticipantErrorCode, ParticipantErrors, RetryLaterError } from "./errors.ts";
import {
  COMMAND_FAILED,
  type Reply,
  type ReplyStatement,
  type SqlFragment,
  sql,
} from "./handler.ts";

/** The inbox: one row per idempotency key (the reply it produced, or a guard). */
export const INBOX_TABLE = "participant_inbox";
/** The reply outbox, a plain outbox table the relay sends from. */
export const OUTBOX_TABLE = "participant_outbox";

/** A command about to be claimed in the inbox. */
export interface InboxClaim {
  idempotencyKey: string;
  command: string;
  sagaId: string;
  now: Date;
}

/**
 * Claims `claim.idempotencyKey` for this transaction; false when it was claimed before (a
 * duplicate, or a guard). The primary key makes a concurrent copy wait for the first
 * transaction to commit. The relay's sent rows (`sentIds`) are deleted in the same statement,
 * as a CTE: every path of a command runs it, so the hand-off costs no round trip of its own.
 */
export async function claimCommand(
  trx: Knex,
  claim: InboxClaim,
  sentIds: readonly string[],
): Promise<boolean> {
  const statement = trx(INBOX_TABLE);
  if (sentIds.length > 0) statement.with("sent", trx(OUTBOX_TABLE).whereIn("id", sentIds).delete());
  const claimed = await statement
    .insert({
      idempotency_key: claim.idempotencyKey,
      command: claim.command,
      saga_id: claim.sagaId,
      status: "processing",
      received_at: claim.now,
    })
    .onConflict("idempotency_key")
    .ignore()
    .returning("idempotency_key");
  return claimed.length > 0;
}

/** What the inbox holds for a key seen before. */
export interface SeenCommand {
  /** `guarded`: its compensation ran first, refuse it; otherwise a reply to give again. */
  guarded: boolean;
  replyName: string;
  replyPayload: Record<string, unknown>;
}

/**
 * The row of a key {@link claimCommand} found taken. Read after the failed claim in the same
 * transaction, so the first claimant has committed and the row exists.
 */
export async function readSeen(trx: Knex, idempotencyKey: string): Promise<SeenCommand> {
  const row = (await trx(INBOX_TABLE).where({ idempotency_key: idempotencyKey }).first()) as {
    status: string;
    reply_name: string | null;
    reply_payload: Record<string, unknown> | null;
  };
  return {
    guarded: row.status === "guarded",
    replyName: row.reply_name ?? "",
    replyPayload: row.reply_payload ?? {},
  };
}

/**
 * The inbox key under which a retriable failure (`failed(code)`) of one attempt is kept. Not
 * under the command's own key: that key is the same for every attempt, and the next attempt
 * must run the handler again, while a redelivery of the failed attempt gets the same failure.
 */
export function failedAttemptKey(idempotencyKey: string, attempt: number): string {
  return `${idempotencyKey}#failed-attempt-${attempt}`;
}

/**
 * Moves the row just claimed under `idempotencyKey` to the failed attempt's key, with the
 * failure as its reply; the command's own key is free again for the next attempt.
 */
export async function keepAsFailedAttempt(
  trx: Knex,
  idempotencyKey: string,
  attempt: number,
  reply: { name: string; payload: Record<string, unknown> },
): Promise<void> {
  await trx(INBOX_TABLE)
    .where({ idempotency_key: idempotencyKey })
    .update({
      idempotency_key: failedAttemptKey(idempotencyKey, attempt),
      status: "replied",
      reply_name: reply.name,
      reply_payload: JSON.stringify(reply.payload),
    });
}

/** The failure an attempt already answered with (see {@link failedAttemptKey}), if any. */
export async function readFailedAttempt(
  trx: Knex,
  idempotencyKey: string,
  attempt: number,
): Promise<{ name: string; payload: Record<string, unknown> } | undefined> {
  // `answered` rows are the marks a statement handler's success leaves under the key; they
  // hold no reply (see runReplyStatement).
  const row = (await trx(INBOX_TABLE)
    .where({ idempotency_key: failedAttemptKey(idempotencyKey, attempt), status: "replied" })
    .first("reply_name", "reply_payload")) as
    | { reply_name: string | null; reply_payload: Record<string, unknown> | null }
    | undefined;
  return row ? { name: row.reply_name ?? "", payload: row.reply_payload ?? {} } : undefined;
}

/** Gives up a claim made in this transaction (the attempt was answered before). */
export async function releaseClaim(trx: Knex, idempotencyKey: string): Promise<void> {
  await trx(INBOX_TABLE).where({ idempotency_key: idempotencyKey, status: "processing" }).delete();
}

/**
 * Leaves a guard under the key of the action a compensation undoes: `left` when it was left now,
 * `held` when an earlier attempt of the compensation left it (either way the action never ran
 * here, and a late copy of it will be refused), `applied` when the action's own row is there.
 */
export async function leaveGuard(
  trx: Knex,
  guard: { actionKey: string; compensation: string; sagaId: string; now: Date },
): Promise<"left" | "held" | "applied"> {
  const left = await trx(INBOX_TABLE)
    .insert({
      idempotency_key: guard.actionKey,
      command: `(guard for ${guard.compensation})`,
      saga_id: guard.sagaId,
      status: "guarded",
      received_at: guard.now,
    })
    .onConflict("idempotency_key")
    .ignore()
    .returning("idempotency_key");
  if (left.length > 0) return "left";
  // A compensation retried after a failed() attempt finds its own guard.
  const row = (await trx(INBOX_TABLE)
    .where({ idempotency_key: guard.actionKey })
    .first("status")) as { status: string } | undefined;
  return row?.status === "guarded" ? "held" : "applied";
}

/** A reply to write to the outbox; `replied` marks its command's inbox row in the same statement. */
export interface ReplyRow {
  destination: string;
  message: OutboxMessage;
  now: Date;
  /** The inbox key that produced the reply, kept there for duplicates; absent for a resend. */
  replied?: { idempotencyKey: string; name: string; payload: Record<string, unknown> } | undefined;
  /** Rows the relay sent, deleted in a CTE of the insert (when no claim of the same commit did). */
  sentIds?: readonly string[] | undefined;
}

/**
 * Inserts the reply's outbox row and returns it as the relay reads it. With `replied`, the
 * inbox row is marked in a CTE of the insert: one round trip for both.
 */
export async function writeReply(trx: Knex, reply: ReplyRow): Promise<OutboxRow[]> {
  const statement = trx(OUTBOX_TABLE);
  const { replied, sentIds } = reply;
  if (sentIds && sentIds.length > 0)
    statement.with("sent", trx(OUTBOX_TABLE).whereIn("id", sentIds).delete());
  if (replied)
    statement.with(
      "replied",
      trx(INBOX_TABLE)
        .where({ idempotency_key: replied.idempotencyKey })
        .update({
          status: "replied",
          reply_name: replied.name,
          reply_payload: JSON.stringify(replied.payload),
        }),
    );
  const inserted = (await statement
    .insert({
      kind: "sqs",
      destination: reply.destination,
      message: JSON.stringify(reply.message),
      available_at: outboxAvailableAt(reply.now),
      created_at: reply.now,
    })
    .returning("id")) as { id: string | number }[];
  return inserted.map((row) => ({
    id: String(row.id),
    kind: "sqs",
    destination: reply.destination,
    message: reply.message,
    attempts: 0,
  }));
}

/**
 * Deletes up to `batchSize` inbox rows received before `cutoff`; returns how many. Rows are
 * chosen with SKIP LOCKED, so replicas pruning at once never wait on each other or on a
 * command being handled.
 */
export async function pruneInboxBatch(
  knex: Knex,
  cutoff: Date,
  batchSize: number,
): Promise<number> {
  return knex(INBOX_TABLE)
    .whereIn(
      "idempotency_key",
      knex(INBOX_TABLE)
        .select("idempotency_key")
        .where("received_at", "<", cutoff)
        .limit(batchSize)
        .forUpdate()
        .skipLocked(),
    )
    .delete();
}

/** The replies waiting in the outbox: how many, and when the oldest was written (epoch ms). */
export async function replyBacklog(
  knex: Knex,
): Promise<{ pending: number; oldest: number | null }> {
  const row = (await knex(OUTBOX_TABLE)
    .count({ pending: "*" })
    .min({ oldest: "created_at" })
    .first()) as { pending: string | number; oldest: Date | string | null } | undefined;
  return {
    pending: Number(row?.pending ?? 0),
    oldest: row?.oldest ? new Date(row.oldest).getTime() : null,
  };
}

/**
 * A reply a statement handler wrote: its envelope without the signature, which the statement
 * cannot compute (the payload is known only inside it). Whoever sends the row signs it first:
 * the participant right after the statement, or the relay's poll through
 * {@link participantOutboxStore}. Signing is deterministic, so both give the same message.
 */
interface UnsignedReplyMessage {
  transport: "sqs";
  unsignedReply: ReplyEnvelope;
}

function isUnsignedReply(message: unknown): message is UnsignedReplyMessage {
  return typeof message === "object" && message !== null && "unsignedReply" in message;
}

/** The message a stored reply is sent as: as it is, or signed now when it was stored unsigned. */
export function sendableReply(message: unknown, replyKey: SigningKeys): OutboxMessage {
  if (!isUnsignedReply(message)) return message as OutboxMessage;
  return { transport: "sqs", ...envelopeMessage(signEnvelope(message.unsignedReply, replyKey)) };
}

/**
 * The relay's store of the reply outbox (messaging's plain-table store over its table). Rows a
 * statement handler stored unsigned are signed with `replyKey` as they are claimed.
 */
export function participantOutboxStore(db: Database, replyKey: SigningKeys): OutboxStore {
  const table = tableOutboxStore(db, OUTBOX_TABLE);
  return {
    ...table,
    claimDue(now, limit, work) {
      return table.claimDue(now, limit, (rows, trx) =>
        work(
          rows.map((row) => ({ ...row, message: sendableReply(row.message, replyKey) })),
          trx,
        ),
      );
    },
  };
}

/** One command applied by a statement handler, as {@link runReplyStatement} needs it. */
export interface ReplyStatementRun {
  statement: ReplyStatement;
  /** Rows the relay sent, deleted by the same statement. */
  sentIds: readonly string[];
  idempotencyKey: string;
  attempt: number;
  command: string;
  sagaId: string;
  destination: string;
  /** The reply's envelope, but for its name and payload, which the statement fills in. */
  envelope: ReplyEnvelope;
  now: Date;
}

/** What {@link runReplyStatement} did: committed a reply, or found the key taken. */
export type ReplyStatementOutcome =
  | { type: "written"; outboxId: string; reply: Reply }
  | { type: "taken" };

/** Postgres's unique_violation, and the constraint of the inbox's key (knex's default name). */
const UNIQUE_VIOLATION = "23505";
const INBOX_KEY_CONSTRAINT = `${INBOX_TABLE}_pkey`;
/** Postgres's not_null_violation: the key a reply that yielded no row leaves NULL. */
const NOT_NULL_VIOLATION = "23502";

/**
 * Runs a statement handler's CTEs, the reply's outbox insert and the inbox insert as one
 * statement, through `Database.statement`: prepared once per connection under a name from its
 * text, and sharing a socket write and a commit with the other commands' statements of the same
 * turn of the event loop (one failing is answered alone; the others run again without it).
 *
 * The inbox rows go in last and with no ON CONFLICT: when the key is taken (a duplicate, a
 * concurrent copy that committed first, or a guard a compensation left) the statement fails as
 * a whole, its business write included, and `taken` is returned. A success also leaves an
 * `answered` row under the attempt's failure key, so a redelivery of an attempt that already
 * answered with a retriable failure conflicts too instead of applying the command after all;
 * a failure is stored under that key only, which leaves the command's key to the next attempt.
 * A `reply` that yields no row makes the key NULL, which fails the statement rather than
 * committing a write without its inbox row; the command is then delivered again (RetryLater),
 * which is how a handler says "the state I need to decide is not visible to this statement yet".
 */
export async function runReplyStatement(
  statement: RunStatement,
  run: ReplyStatementRun,
): Promise<ReplyStatementOutcome> {
  const failedKey = failedAttemptKey(run.idempotencyKey, run.attempt);
  // A text array literal: one binding whatever the number of ids. The CTE is there even with
  // none, so that a handler's statement keeps one text and is prepared once.
  const ids = `{${run.sentIds.map((id) => Number.parseInt(id, 10)).join(",")}}`;
  const ctes: SqlFragment[] = [
    sql`sent AS (DELETE FROM ${raw(OUTBOX_TABLE)} WHERE id = ANY(${ids}::bigint[]))`,
  ];
  for (const [name, body] of run.statement.with) ctes.push(sql`${raw(name)} AS (${body})`);
  ctes.push(sql`one AS (SELECT 1), reply AS (${run.statement.reply})`);
  ctes.push(
    sql`answer AS (SELECT r.reply_name, r.reply_payload FROM one LEFT JOIN reply r ON true)`,
  );
  ctes.push(sql`outbox AS (
    INSERT INTO ${raw(OUTBOX_TABLE)} (kind, destination, message, available_at, created_at)
    SELECT 'sqs', ${run.destination}::text,
      jsonb_build_object('transport', 'sqs', 'unsignedReply',
        ${JSON.stringify(run.envelope)}::jsonb
          || jsonb_build_object('name', a.reply_name, 'payload', a.reply_payload)),
      ${outboxAvailableAt(run.now)}::timestamptz, ${run.now}::timestamptz
    FROM answer a WHERE a.reply_name IS NOT NULL
    RETURNING id)`);
  const whole = sql`WITH ${join(ctes, ",\n")}
    INSERT INTO ${raw(INBOX_TABLE)}
      (idempotency_key, command, saga_id, status, reply_name, reply_payload, received_at)
    SELECT k.key, ${run.command}::text, ${run.sagaId}::uuid, k.status,
      CASE WHEN k.status = 'replied' THEN a.reply_name END,
      CASE WHEN k.status = 'replied' THEN a.reply_payload END,
      ${run.now}::timestamptz
    FROM answer a CROSS JOIN LATERAL (VALUES
      (CASE WHEN a.reply_name IS NULL THEN NULL
            WHEN a.reply_name = ${COMMAND_FAILED}::text THEN ${failedKey}::text
            ELSE ${run.idempotencyKey}::text END, 'replied'),
      (${failedKey}::text, 'answered')) AS k(key, status)
    WHERE k.status = 'replied' OR a.reply_name IS DISTINCT FROM ${COMMAND_FAILED}::text
    RETURNING (SELECT id FROM outbox) AS outbox_id, status, reply_name, reply_payload`;
  const text = numberedPlaceholders(whole.sql);
  let rows: {
    outbox_id: string | number;
    status: string;
    reply_name: string;
    reply_payload: Record<string, unknown>;
  }[];
  try {
    rows = (await statement(statementName(text), text, whole.bindings)).rows as typeof rows;
  } catch (error) {
    const pgError = error as { code?: string; constraint?: string; column?: string };
    if (pgError.code === UNIQUE_VIOLATION && pgError.constraint === INBOX_KEY_CONSTRAINT) {
      return { type: "taken" };
    }
    if (pgError.code === NOT_NULL_VIOLATION && pgError.column === "idempotency_key") {
      throw new RetryLaterError(
        `the statement of ${run.command} gave no reply row, so nothing was applied; it runs again`,
        1,
      );
    }
    throw error;
  }
  const replied = rows.find((row) => row.status === "replied");
  if (!replied) {
    throw ParticipantErrors.create(
      ParticipantErrorCode.replyStatementIncomplete,
      `the reply statement of ${run.command} wrote no inbox row`,
    );
  }
  return {
    type: "written",
    outboxId: String(replied.outbox_id),
    reply: { name: replied.reply_name, payload: replied.reply_payload },
  };
}

/**
 * What the inbox holds for a command whose key {@link runReplyStatement} found taken: a guard,
 * the command's reply, the failure this attempt answered with, or nothing (pruned since).
 */
export async function readAnswered(
  knex: Knex,
  idempotencyKey: string,
  attempt: number,
): Promise<{ guarded: true } | { guarded: false; reply: Reply } | undefined> {
  const failedKey = failedAttemptKey(idempotencyKey, attempt);
  const rows = (await knex(INBOX_TABLE)
    .whereIn("idempotency_key", [idempotencyKey, failedKey])
    .select("idempotency_key", "status", "reply_name", "reply_payload")) as {
    idempotency_key: string;
    status: string;
    reply_name: string | null;
    reply_payload: Record<string, unknown> | null;
  }[];
  // The command's own row first, as the transactional path reads it.
  const own = rows.find((row) => row.idempotency_key === idempotencyKey);
  if (own?.status === "guarded") return { guarded: true };
  const stored =
    own?.status === "replied"
      ? own
      : rows.find((row) => row.idempotency_key === failedKey && row.status === "replied");
  if (!stored) return undefined;
  return {
    guarded: false,
    reply: { name: stored.reply_name ?? "", payload: stored.reply_payload ?? {} },
  };
}

/**
 * The text with each `?` of {@link sql} as `$1`, `$2`, … in order: the form a named statement
 * takes. Every `?` is a placeholder, as `sql` documents.
 */
function numberedPlaceholders(text: string): string {
  let index = 0;
  return text.replace(/\?/g, () => `$${++index}`);
}

/** Names given so far, by statement text: a handler's statement is prepared once per connection. */
const statementNames = new Map<string, string>();
/** Past this many texts, new ones run unnamed (parsed each time) rather than fill every connection. */
const MAX_NAMED_STATEMENTS = 500;

/** The prepared statement's name for a text, from its hash; "" (unnamed) past the cap. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= MAX_NAMED_STATEMENTS) return "";
    name = `participant_reply_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

function raw(text: string): SqlFragment {
  return { sql: text, bindings: [] };
}

function join(parts: readonly SqlFragment[], separator: string): SqlFragment {
  return {
    sql: parts.map((part) => part.sql).join(separator),
    bindings: parts.flatMap((part) => part.bindings),
  };
}

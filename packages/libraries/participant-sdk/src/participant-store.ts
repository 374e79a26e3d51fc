// Every statement on participant_inbox and participant_outbox. The migrations create them; the
// relay in messaging reaches the outbox only through the store `participantOutboxStore` hands it.
import {
  type OutboxMessage,
  type OutboxRow,
  type OutboxStore,
  outboxAvailableAt,
  tableOutboxStore,
} from "@sagaworks/messaging";
import type { Database, Knex } from "@sagaworks/platform";

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
 * Leaves a guard under the key of the action a compensation undoes; true when it was left
 * (the action never ran here, and a late copy of it will be refused), false when the action's
 * own row was already there.
 */
export async function leaveGuard(
  trx: Knex,
  guard: { actionKey: string; compensation: string; sagaId: string; now: Date },
): Promise<boolean> {
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
  return left.length > 0;
}

/** A reply to write to the outbox; `replied` marks its command's inbox row in the same statement. */
export interface ReplyRow {
  destination: string;
  message: OutboxMessage;
  now: Date;
  /** The inbox key that produced the reply, kept there for duplicates; absent for a resend. */
  replied?: { idempotencyKey: string; name: string; payload: Record<string, unknown> };
}

/**
 * Inserts the reply's outbox row and returns it as the relay reads it. With `replied`, the
 * inbox row is marked in a CTE of the insert: one round trip for both.
 */
export async function writeReply(trx: Knex, reply: ReplyRow): Promise<OutboxRow[]> {
  const statement = trx(OUTBOX_TABLE);
  const { replied } = reply;
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

/** The relay's store of the reply outbox (messaging's plain-table store over its table). */
export function participantOutboxStore(db: Database): OutboxStore {
  return tableOutboxStore(db, OUTBOX_TABLE);
}

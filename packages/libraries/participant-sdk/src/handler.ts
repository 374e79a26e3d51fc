// What a service writes: its command handlers, the replies they give, and the builders for both.
// The participant runs them; this module imports nothing of the participant, so the options and
// the runtime can both depend on it without depending on each other.
import type { CommandEnvelope } from "@sagaworks/messaging";
import type { Knex, Logger } from "@sagaworks/platform";
import type { z } from "zod";

/** A reply: its name (from the contract) and payload. Business failures are replies too. */
export interface Reply {
  name: string;
  payload: Record<string, unknown>;
}

/** Reply name of a technical failure that the participant reports instead of a business reply. */
export const COMMAND_FAILED = "CommandFailed";

/**
 * A technical failure reported as a reply, e.g. `failed("ACCOUNT_NOT_FOUND", "…")`. The
 * orchestrator matches `code` against the step's `nonRetryable` list: listed codes fail the step
 * at once, others are retried with backoff: the failure is kept for redeliveries of its attempt
 * only, so the next attempt runs the handler again. Use replies from the contract for business
 * outcomes.
 */
export function failed(code: string, message: string): Reply {
  return { name: COMMAND_FAILED, payload: { code, message } };
}

/**
 * A reply checked against its contract schema. A handler bug then throws inside the transaction
 * (which rolls back, and the command is delivered again) instead of sending a reply the
 * orchestrator cannot read.
 */
export function contractReply<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
  payload: z.input<Schema>,
): Reply {
  return { name, payload: schema.parse(payload) as Record<string, unknown> };
}

/** What a handler gets: the transaction its business change must use, and the command. */
export interface HandlerContext<Payload> {
  /** The local transaction that also records the inbox row and the reply's outbox row. */
  trx: Knex.Transaction;
  payload: Payload;
  command: CommandEnvelope;
  /**
   * For a compensation: false when the action it undoes never ran here. A guard is then left so
   * that the action, should it arrive late, is refused; the compensation has nothing to undo.
   * True when the inbox holds the action's row, or when the orchestrator says it got the action's
   * success reply (the row may be pruned by then). Always true for an action.
   */
  actionApplied: boolean;
  logger: Logger;
}

/** A handler that runs in a transaction: reads, decides in code, writes, returns the reply. */
export interface TransactionHandler<Schema extends z.ZodType = z.ZodType> {
  kind: "transaction";
  payload: Schema;
  handle(context: HandlerContext<z.infer<Schema>>): Promise<Reply>;
}

/** A piece of SQL with `?` placeholders and their values, in order. */
export interface SqlFragment {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

function isFragment(value: unknown): value is SqlFragment {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as SqlFragment).sql === "string" &&
    Array.isArray((value as SqlFragment).bindings)
  );
}

/**
 * Builds a {@link SqlFragment}: every interpolated value becomes a `?` binding, and an
 * interpolated fragment is inlined with its own bindings. A literal `?` in the text would be
 * taken for a placeholder: write jsonb's `?` operators as `jsonb_exists(…)` instead.
 */
export function sql(strings: TemplateStringsArray, ...values: readonly unknown[]): SqlFragment {
  let text = strings[0] ?? "";
  const bindings: unknown[] = [];
  values.forEach((value, index) => {
    if (isFragment(value)) {
      text += value.sql;
      bindings.push(...value.bindings);
    } else {
      text += "?";
      bindings.push(value);
    }
    text += strings[index + 1] ?? "";
  });
  return { sql: text, bindings };
}

/** What a one-statement handler knows before its statement runs: no transaction, no reads. */
export interface StatementContext<Payload> {
  payload: Payload;
  command: CommandEnvelope;
}

/**
 * A handler's business write as parts of one SQL statement. `with` lists the statement's CTEs
 * in order (`[name, body]`; data-modifying ones included, they run whether referenced or not),
 * and `reply` is a SELECT over them that yields exactly one row with the columns `reply_name`
 * (text) and `reply_payload` (jsonb). The participant adds the reply's outbox row and the inbox
 * row to the same statement, so all of it commits or none of it does. It runs on the hot path's
 * connection, where sequential scans are priced out (platform's statement pipe): reach the rows
 * it reads and writes through an index, by key, as an action on one business row does.
 */
export interface ReplyStatement {
  with: readonly (readonly [name: string, body: SqlFragment])[];
  reply: SqlFragment;
}

/**
 * A handler whose business write, reply and inbox row are one SQL statement, committed whole or
 * not at all: one round trip. The inbox row is inserted last; a duplicate (or an action
 * a compensation's guard refuses) violates its key, which rolls the whole statement back, and
 * the stored reply is sent again instead. For compensations, which must leave their guard
 * before deciding, use a {@link TransactionHandler}: a statement handler is for actions.
 */
export interface StatementHandler<Schema extends z.ZodType = z.ZodType> {
  kind: "statement";
  payload: Schema;
  statement(context: StatementContext<z.infer<Schema>>): ReplyStatement;
}

/** A command handler: the payload's zod schema and how it is applied. */
export type CommandHandler<Schema extends z.ZodType = z.ZodType> =
  | TransactionHandler<Schema>
  | StatementHandler<Schema>;

/** Declares a handler that runs in a transaction; the schema types the payload it receives. */
export function defineHandler<Schema extends z.ZodType>(
  payload: Schema,
  handle: (context: HandlerContext<z.infer<Schema>>) => Promise<Reply>,
): TransactionHandler<Schema> {
  return { kind: "transaction", payload, handle };
}

/** Declares a one-statement handler (see {@link StatementHandler}). */
export function defineStatementHandler<Schema extends z.ZodType>(
  payload: Schema,
  statement: (context: StatementContext<z.infer<Schema>>) => ReplyStatement,
): StatementHandler<Schema> {
  return { kind: "statement", payload, statement };
}

/**
 * The payload of `failed(code, message)` as SQL, for a statement handler's reply: the message
 * may be SQL too (`sql\`format('Order "%s" is %s', …)\``) when it names what the statement read.
 */
export function failedPayloadSql(code: string, message: SqlFragment | string): SqlFragment {
  const messageSql = typeof message === "string" ? sql`${message}::text` : message;
  return sql`jsonb_build_object('code', ${code}::text, 'message', ${messageSql})`;
}

// The create-order process written by hand, the way a team writes it without an engine: a
// choreography over plain SQS (one SendMessage per message, no outbox, not crash-safe) and plain
// Postgres transactions, plus the synchronous customer check over HTTP.
//
//   client ─POST /orders─▶ order ─GET /customers/:id─▶ customer
//                           │ INSERT order PENDING, then SendMessage ReserveCredit
//                           ▼
//                 account (inbox row + credit update in one tx) ─SendMessage reply─▶ order
//                           order (UPDATE status) ─SendMessage terminal event─▶ client queue
//
// An unknown customer is refused synchronously (422), as a team would; the client counts that
// answer as the order's terminal state.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { BenchErrorCode, BenchErrors } from "./errors.ts";

/** The little a hand-written service needs from Postgres. */
export interface Sql {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on a throw). */
  transaction<T>(fn: (sql: Pick<Sql, "query">) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Plain `pg`: a pool whose connections use `schema` as their search path. */
export function pgSql(databaseUrl: string, schema: string, max = 10): Sql {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    options: `-c search_path=${schema}`,
  });
  // An idle connection that the server drops (a restart, an admin) must not end the process;
  // the pool discards it and the next query opens another.
  pool.on("error", (error) => process.stderr.write(`baseline: idle connection lost: ${error}\n`));
  return {
    query: async <Row>(text: string, params?: unknown[]) =>
      (await pool.query(text, params)) as unknown as { rows: Row[] },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          query: async <Row>(text: string, params?: unknown[]) =>
            (await client.query(text, params)) as unknown as { rows: Row[] },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Embedded Postgres (PGlite) when there is no DATABASE_URL; one connection, in this process. */
export function pgliteSql(db: PGlite): Sql {
  return {
    query: <Row>(text: string, params?: unknown[]) => db.query<Row>(text, params),
    transaction: (fn) => db.transaction((tx) => fn({ query: (t, p) => tx.query(t, p) })),
    close: () => db.close(),
  };
}

/** Creates the baseline's tables (idempotent). */
export async function migrateBaseline(sql: Sql): Promise<void> {
  await sql.query(`CREATE TABLE IF NOT EXISTS customers (
    id text PRIMARY KEY, name text NOT NULL, credit_limit_cents bigint NOT NULL)`);
  await sql.query(`CREATE TABLE IF NOT EXISTS orders (
    id uuid PRIMARY KEY, customer_id text NOT NULL, total_cents bigint NOT NULL,
    status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await sql.query(`CREATE TABLE IF NOT EXISTS accounts (
    customer_id text PRIMARY KEY,
    available_cents bigint NOT NULL CHECK (available_cents >= 0),
    reserved_cents bigint NOT NULL DEFAULT 0)`);
  await sql.query(`CREATE TABLE IF NOT EXISTS processed_messages (
    message_id text PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now())`);
}

/** Inserts customers and their accounts with this credit limit (idempotent). */
export async function seedBaseline(
  sql: Sql,
  customerIds: readonly string[],
  creditLimitCents: number,
): Promise<void> {
  for (const id of customerIds) {
    await sql.query(
      "INSERT INTO customers (id, name, credit_limit_cents) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      [id, `Customer ${id}`, creditLimitCents],
    );
    await sql.query(
      "INSERT INTO accounts (customer_id, available_cents) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      [id, creditLimitCents],
    );
  }
}

/** Queue URLs of the choreography. */
export interface BaselineQueues {
  /** The account service's commands. */
  account: string;
  /** The order service's replies from the account service. */
  orderReplies: string;
  /** Where the order service announces an order's terminal state. */
  clientEvents: string;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string")
    throw BenchErrors.create(
      BenchErrorCode.setupFailed,
      "the baseline's HTTP server has no TCP address after listen",
    );
  return `http://127.0.0.1:${address.port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A started part of the baseline. */
export interface BaselinePart {
  url?: string;
  stop(): Promise<void>;
}

/** The customer service: `GET /customers/:id`, 200 or 404. */
export async function startBaselineCustomer(sql: Sql): Promise<BaselinePart> {
  const server = createServer((request, response) => {
    const match = /^\/customers\/([^/?]+)$/.exec(request.url ?? "");
    if (request.method !== "GET" || !match?.[1]) return send(response, 404, { error: "NOT_FOUND" });
    sql
      .query<{ id: string; name: string }>("SELECT id, name FROM customers WHERE id = $1", [
        decodeURIComponent(match[1]),
      ])
      .then(
        ({ rows }) =>
          rows[0]
            ? send(response, 200, rows[0])
            : send(response, 404, { error: "CUSTOMER_NOT_FOUND" }),
        (error: unknown) => send(response, 500, { error: String(error) }),
      );
  });
  const url = await listen(server);
  return { url, stop: () => close(server) };
}

/**
 * Long-polls a queue with `pollers` loops and hands each batch to `handle`, deleting what it
 * handled in one DeleteMessageBatch. A message whose handling throws is left for redelivery.
 */
function consume(
  sqs: SQSClient,
  queueUrl: string,
  pollers: number,
  handle: (message: Message) => Promise<void>,
): { stop(): Promise<void> } {
  const abort = new AbortController();
  const loop = async () => {
    while (!abort.signal.aborted) {
      let messages: Message[];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 20,
          }),
          { abortSignal: abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (abort.signal.aborted) return;
        process.stderr.write(`baseline receive failed: ${String(error)}\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const done: Message[] = [];
      await Promise.all(
        messages.map(async (message) => {
          try {
            await handle(message);
            done.push(message);
          } catch (error) {
            process.stderr.write(`baseline handler failed: ${String(error)}\n`);
          }
        }),
      );
      if (done.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }
  };
  const loops = Array.from({ length: pollers }, () => loop());
  return {
    async stop() {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}

interface ReserveCredit {
  type: "ReserveCredit";
  messageId: string;
  orderId: string;
  customerId: string;
  amountCents: number;
}

interface CreditReply {
  type: "CreditReserved" | "CreditLimitExceeded";
  orderId: string;
}

/** The order service: `POST /orders`, and the consumer of the account service's replies. */
export async function startBaselineOrder(deps: {
  sql: Sql;
  sqs: SQSClient;
  queues: BaselineQueues;
  customerUrl: string;
  pollers?: number;
}): Promise<BaselinePart> {
  const { sql, sqs, queues } = deps;
  const placeOrder = async (body: { customerId: string; totalCents: number }) => {
    const customer = await fetch(
      `${deps.customerUrl}/customers/${encodeURIComponent(body.customerId)}`,
    );
    await customer.arrayBuffer();
    if (customer.status === 404) return { status: 422, body: { error: "CUSTOMER_NOT_FOUND" } };
    if (customer.status !== 200)
      throw BenchErrors.create(
        BenchErrorCode.requestRefused,
        `customer service answered ${customer.status}`,
      );
    const orderId = randomUUID();
    await sql.query(
      "INSERT INTO orders (id, customer_id, total_cents, status) VALUES ($1, $2, $3, 'PENDING')",
      [orderId, body.customerId, body.totalCents],
    );
    const command: ReserveCredit = {
      type: "ReserveCredit",
      messageId: randomUUID(),
      orderId,
      customerId: body.customerId,
      amountCents: body.totalCents,
    };
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queues.account, MessageBody: JSON.stringify(command) }),
    );
    return { status: 202, body: { orderId } };
  };
  const server = createServer((request, response) => {
    if (request.method !== "POST" || request.url !== "/orders")
      return send(response, 404, { error: "NOT_FOUND" });
    readBody(request)
      .then((text) => placeOrder(JSON.parse(text) as { customerId: string; totalCents: number }))
      .then(
        (answer) => send(response, answer.status, answer.body),
        (error: unknown) => send(response, 500, { error: String(error) }),
      );
  });
  const url = await listen(server);
  const replies = consume(sqs, queues.orderReplies, deps.pollers ?? 2, async (message) => {
    const reply = JSON.parse(message.Body ?? "{}") as CreditReply;
    const status = reply.type === "CreditReserved" ? "APPROVED" : "REJECTED";
    // The status guard makes a redelivered reply a no-op; it announces only the first time.
    const { rows } = await sql.query<{ id: string }>(
      "UPDATE orders SET status = $2 WHERE id = $1 AND status = 'PENDING' RETURNING id",
      [reply.orderId, status],
    );
    if (rows.length === 0) return;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.clientEvents,
        MessageBody: JSON.stringify({
          orderId: reply.orderId,
          name: status === "APPROVED" ? "order.approved" : "order.rejected",
        }),
      }),
    );
  });
  return {
    url,
    async stop() {
      await close(server);
      await replies.stop();
    },
  };
}

/** The account service: reserves credit for each ReserveCredit, deduplicated by message id. */
export function startBaselineAccount(deps: {
  sql: Sql;
  sqs: SQSClient;
  queues: BaselineQueues;
  pollers?: number;
}): BaselinePart {
  const { sql, sqs, queues } = deps;
  const commands = consume(sqs, queues.account, deps.pollers ?? 2, async (message) => {
    const command = JSON.parse(message.Body ?? "{}") as ReserveCredit;
    const reply = await sql.transaction(async (tx) => {
      const inserted = await tx.query(
        "INSERT INTO processed_messages (message_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING message_id",
        [command.messageId],
      );
      if (inserted.rows.length === 0) return undefined;
      const reserved = await tx.query(
        `UPDATE accounts SET available_cents = available_cents - $2,
           reserved_cents = reserved_cents + $2
         WHERE customer_id = $1 AND available_cents >= $2 RETURNING customer_id`,
        [command.customerId, command.amountCents],
      );
      return {
        type: reserved.rows.length > 0 ? "CreditReserved" : "CreditLimitExceeded",
        orderId: command.orderId,
      } satisfies CreditReply;
    });
    if (!reply) return;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queues.orderReplies, MessageBody: JSON.stringify(reply) }),
    );
  });
  return { stop: () => commands.stop() };
}

// Named statements on a pipelined connection: the hot path's way to Postgres, beside knex.
import { Socket } from "node:net";
import pg from "pg";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

/** What a statement answers: its rows, columns by name. */
export interface StatementResult<Row> {
  rows: Row[];
}

/**
 * Runs one named statement of fixed text, committed on its own or with the others of its turn;
 * see {@link Database.statement}.
 */
export type RunStatement = <Row = Record<string, unknown>>(
  name: string,
  text: string,
  values: readonly unknown[],
) => Promise<StatementResult<Row>>;

/**
 * The pipe's statements reach rows by key only, in tables that work as queues (outboxes, timers,
 * inboxes): rows go in and out by the thousand between two vacuums. A named statement's plan is
 * made once and kept until the next vacuum or analyze of its tables, and the plan made just
 * after one sees a table of a few pages, where a sequential scan is the cheaper plan; by the
 * time it runs again the table holds thousands of dead rows, which the scan then reads on every
 * call. Sequential scans are therefore priced out on this connection (a table with no usable
 * index is still scanned), and the statements name keys in forms an index can take.
 */
const SEQUENTIAL_SCANS_OFF = "-c enable_seqscan=off";

/** A statement that starts with SELECT, taken for a read: it runs outside a turn's transaction. */
const PLAIN_READ = /^\s*select\b/i;

interface Pending {
  name: string;
  text: string;
  values: readonly unknown[];
  resolve: (result: StatementResult<never>) => void;
  reject: (error: unknown) => void;
}

/**
 * One pg connection in pipeline mode (pg's `pipeline` option): statements asked for in the same
 * turn of the event loop go out in one socket write. A named statement is parsed and planned
 * once per connection (pg remembers which names it has prepared).
 *
 * One commit per turn: the writes of a turn, when there are two or more, run between BEGIN and
 * COMMIT and are answered once the COMMIT is (a statement that starts with SELECT is taken for
 * a read and runs on its own: it has no commit to share). Each statement is still all or
 * nothing and committed when answered, as in autocommit; what the callers share is the commit's
 * cost (the WAL flush, the transaction's start and end), which was most of what a short write
 * costs the server. A failing statement aborts the turn: the server rolls it back and every statement of
 * it is sent again on its own, so the failure is answered to its own caller only and the others
 * commit. A statement can therefore run twice on the server, the first time rolled back (a
 * sequence may skip a value). Locks taken early in a turn are held until its COMMIT; when two
 * processes' turns wait on each other, the server's deadlock check (after `deadlock_timeout`,
 * 1 s by default) aborts one, and its statements are sent again alone.
 *
 * The one write: the pipe makes the connection's socket itself (pg's `stream` option) and corks
 * it while it hands pg the turn's statements. That relies on pg writing a pipelined query's
 * messages during `query()`; statements.test.ts counts the writes, so a pg that defers them
 * fails there instead of quietly costing a write per message.
 *
 * One connection serves every caller: Postgres runs one connection's statements one after the
 * other, so a statement waiting on a row lock holds up those behind it. The statements sent here
 * are short writes of one saga's or one command's rows, and key lookups (a customer read), none
 * of which waits on this process's other work, so that wait is as short as the other writer's.
 *
 * A lost connection fails the statements written on it (their outcome is unknown: the caller
 * must read before it writes again) and the next statement opens a new one.
 */
export class StatementPipe {
  private client: pg.Client | undefined;
  /** The socket of `client`, made here so that corking it is ours to do. */
  private stream: Socket | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private queue: Pending[] = [];
  /** Turns that were rolled back (a statement failed) and sent again statement by statement. */
  turnsSentAgain = 0;
  /** Turns sent together whose answers are not handed out yet (they may be sent again). */
  private readonly together = new Set<Promise<void>>();
  private scheduled = false;
  private closed = false;
  private readonly connectionString: string;
  private readonly schema: string;

  constructor(connectionString: string, schema: string) {
    this.connectionString = connectionString;
    this.schema = schema;
  }

  readonly run: RunStatement = <Row>(
    name: string,
    text: string,
    values: readonly unknown[],
  ): Promise<StatementResult<Row>> =>
    new Promise<StatementResult<Row>>((resolve, reject) => {
      if (this.closed) {
        reject(
          PlatformErrors.create(
            PlatformErrorCode.databaseClosed,
            `Statement ${name} was sent after the database was closed; stop the work that sends it before closing the database.`,
          ),
        );
        return;
      }
      this.queue.push({
        name,
        text,
        values,
        resolve: resolve as (result: StatementResult<never>) => void,
        reject,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: writers woken by the same batch of I/O all get in.
        setImmediate(() => void this.flush());
      }
    });

  /** The open connection, opening one when there is none (or the last one broke). */
  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<pg.Client> {
    const stream = new Socket();
    const client = new pg.Client({
      connectionString: this.connectionString,
      pipeline: true,
      stream: () => stream,
      // The same schema knex's connections resolve unqualified names in. Sequential scans off:
      // see SEQUENTIAL_SCANS_OFF.
      options: `-c search_path=${this.schema} ${SEQUENTIAL_SCANS_OFF}`,
    } as pg.ClientConfig);
    const drop = () => {
      if (this.client === client) {
        this.client = undefined;
        this.stream = undefined;
      }
    };
    // An error event (the server went away) fails the statements in flight; the next one reconnects.
    client.on("error", drop);
    client.on("end", drop);
    await client.connect();
    this.client = client;
    this.stream = stream;
    return client;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    await this.withCorkedConnection(batch, (client) => {
      // Plain reads have no commit to share: a transaction around them would only add BEGIN
      // and COMMIT. (A SELECT that writes through a function still runs correctly on its own.)
      const reads: Pending[] = [];
      const writes: Pending[] = [];
      for (const item of batch) (PLAIN_READ.test(item.text) ? reads : writes).push(item);
      this.sendAlone(client, reads);
      if (writes.length === 1) this.sendAlone(client, writes);
      else if (writes.length > 1) this.sendTogether(client, writes);
    });
  }

  /**
   * Hands `write` the open connection with its socket corked, so that what it sends is held back
   * until uncork and then written together (with TLS, as one run of records); fails `items` when
   * no connection can be opened.
   */
  private async withCorkedConnection(
    items: Pending[],
    write: (client: pg.Client) => void,
  ): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.connection();
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    const stream = this.stream;
    stream?.cork();
    try {
      write(client);
    } finally {
      stream?.uncork();
    }
  }

  /** Each statement its own autocommit transaction (its own Sync). */
  private sendAlone(client: pg.Client, items: Pending[]): void {
    for (const item of items) {
      client.query({ name: item.name, text: item.text, values: item.values as unknown[] }).then(
        (result) => item.resolve({ rows: result.rows as never[] }),
        (error: unknown) => {
          // The server ended the session (a terminated backend says FATAL before it closes the
          // socket): the next statement must not be written on it before "end" comes.
          if (connectionLost(error)) this.forget(client);
          item.reject(error);
        },
      );
    }
  }

  /**
   * The turn's statements between BEGIN and COMMIT: one commit for all of them. No answer is
   * handed out before COMMIT has succeeded. When any statement fails (a key taken, a deadlock with
   * another process's turn), the server rolls the whole turn back and each statement is sent again
   * on its own, so a statement's failure stays its own and what succeeds beside it commits.
   */
  private sendTogether(client: pg.Client, items: Pending[]): void {
    const begin = settled(client.query("BEGIN"));
    const answers = items.map((item) =>
      settled(client.query({ name: item.name, text: item.text, values: item.values as unknown[] })),
    );
    const commit = settled(client.query("COMMIT"));
    const done = Promise.all([begin, Promise.all(answers), commit]).then(
      async ([began, results, committed]) => {
        const lost = [began, ...results, committed].find(
          (outcome) => !outcome.ok && connectionLost(outcome.error),
        );
        if (lost && !lost.ok) {
          // Whether COMMIT reached the server is unknown: every statement's outcome is.
          this.forget(client);
          for (const item of items) item.reject(lost.error);
          return;
        }
        // COMMIT in a transaction that failed rolls it back and says ROLLBACK, with no error.
        if (committed.ok && committed.value.command === "COMMIT") {
          results.forEach((outcome, index) => {
            if (outcome.ok) items[index]?.resolve({ rows: outcome.value.rows as never[] });
          });
          return;
        }
        this.turnsSentAgain++;
        await this.withCorkedConnection(items, (again) => this.sendAlone(again, items));
      },
    );
    // Nothing above is expected to throw; if it did, no caller may be left waiting (a statement
    // already answered ignores the rejection).
    const settledTurn = done.catch((error: unknown) => {
      for (const item of items) item.reject(error);
    });
    this.together.add(settledTurn);
    void settledTurn.finally(() => this.together.delete(settledTurn));
  }

  /** Stops using `client` (if it is still the open one) and closes it. */
  private forget(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.stream = undefined;
    void client.end().catch(() => {});
  }

  /** Ends the connection once the statements already asked for are answered. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scheduled || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    while (this.together.size > 0) await Promise.all(this.together);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    this.stream = undefined;
    await client?.end().catch(() => {});
  }

  /** Test hook: the socket of the open connection, to cut it as a crash would or count writes. */
  socket(): Socket | undefined {
    return this.stream;
  }
}

/** A query's outcome as a value, so one failing does not hide the others' answers. */
function settled(
  query: Promise<pg.QueryResult>,
): Promise<{ ok: true; value: pg.QueryResult } | { ok: false; error: unknown }> {
  return query.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Whether a statement's error means its connection is gone: the server ended the session
 * (FATAL or PANIC, or a connection exception, class 08), or pg lost the socket (its errors carry
 * no SQLSTATE). A statement's own failure (a key taken, a bad value) leaves the connection be.
 */
function connectionLost(error: unknown): boolean {
  const { severity, code } = (error ?? {}) as { severity?: string; code?: string };
  return (
    severity === "FATAL" || severity === "PANIC" || code === undefined || code.startsWith("08")
  );
}

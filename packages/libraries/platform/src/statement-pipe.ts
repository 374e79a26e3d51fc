// Named statements on a pipelined connection: the hot path's way to Postgres, beside knex.
import { Socket } from "node:net";
import pg from "pg";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

/** What a statement answers: its rows, columns by name. */
export interface StatementResult<Row> {
  rows: Row[];
}

/** Runs one named statement of fixed text in autocommit; see {@link Database.statement}. */
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

interface Pending {
  name: string;
  text: string;
  values: readonly unknown[];
  resolve: (result: StatementResult<never>) => void;
  reject: (error: unknown) => void;
}

/**
 * One pg connection in pipeline mode (pg's `pipeline` option): statements asked for in the same
 * turn of the event loop go out in one socket write, each with its own Sync, so each is its own
 * autocommit statement and one failing leaves the others alone. A named statement is parsed and
 * planned once per connection (pg remembers which names it has prepared).
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
    let client: pg.Client;
    try {
      client = await this.connection();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    // Held back until uncork, then written together (with TLS, as one run of records).
    const stream = this.stream;
    stream?.cork();
    try {
      for (const item of batch) {
        client.query({ name: item.name, text: item.text, values: item.values as unknown[] }).then(
          (result) => item.resolve({ rows: result.rows as never[] }),
          (error: unknown) => {
            // The server ended the session (a terminated backend says FATAL before it closes
            // the socket): the next statement must not be written on it before "end" comes.
            if (connectionLost(error)) this.forget(client);
            item.reject(error);
          },
        );
      }
    } finally {
      stream?.uncork();
    }
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

// Preloaded (`node --import`) into every process of a system under test: counts the Postgres
// statements the process sends and the socket writes that carry them, and answers the runner's
// `{ type: "pg-queries" }` over IPC.
//
// Every statement of the project goes through `pg`'s Client.query (knex's pg dialect, plain
// pools, the participant SDK and the orchestrator's pipelined statements alike), so counting the
// calls counts the statements (a multi-statement simple query counts once). Pipelining makes
// statements and round trips differ, so the socket writes are counted too: a write on an
// uncorked connection stream is one, and so is the uncork that flushes what a cork held back.
// Commits are counted the same way, per process, from what the server answers: each
// ReadyForQuery that leaves a connection idle ends a transaction, a commit unless it was a
// ROLLBACK or an error. That is what pg_stat_database.xact_commit counts (read-only ones
// included), without the rest of a shared database's sessions in it.
// pnpm links one `pg` for the whole workspace, so the services' `pg` is this module's `pg`.
import pg from "pg";

let queries = 0;
let socketWrites = 0;
let commits = 0;
const original = pg.Client.prototype.query;
// The counter is one increment per call; the patched method keeps query's every overload.
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  queries++;
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;

interface CountedStream {
  write(...args: unknown[]): boolean;
  uncork(): void;
  writableCorked: number;
  writableLength: number;
  socketWritesCounted?: boolean;
}

interface CountedConnection {
  stream: CountedStream;
  on(event: string, listener: (message: { status?: string; text?: string }) => void): void;
}

/** Counts the transactions a connection commits, from the server's messages. */
function countCommits(connection: CountedConnection): void {
  // The status of the last ReadyForQuery: I idle, T in a transaction block, E in a failed one.
  let status = "I";
  let failed = false;
  let lastCommand = "";
  connection.on("commandComplete", (message) => {
    lastCommand = message.text ?? "";
  });
  connection.on("errorMessage", () => {
    failed = true;
  });
  connection.on("readyForQuery", (message) => {
    if (message.status === "I" && !failed) {
      // Idle before: an autocommit statement (none after the start-up's first ReadyForQuery);
      // in a block before: the block ended, with COMMIT or ROLLBACK.
      if (status === "I" ? lastCommand !== "" : lastCommand === "COMMIT") commits++;
    }
    status = message.status ?? "I";
    failed = false;
    lastCommand = "";
  });
}

const PgConnection = (pg as unknown as { Connection: { prototype: Record<string, unknown> } })
  .Connection;
const connect = PgConnection.prototype.connect as (...args: unknown[]) => unknown;
PgConnection.prototype.connect = function countedConnect(
  this: CountedConnection,
  ...args: unknown[]
) {
  countCommits(this);
  const result = connect.apply(this, args);
  const stream = this.stream;
  if (stream && !stream.socketWritesCounted) {
    stream.socketWritesCounted = true;
    const write = stream.write;
    stream.write = function countedWrite(this: CountedStream, ...a: unknown[]) {
      if (this.writableCorked === 0) socketWrites++;
      return write.apply(this, a);
    };
    const uncork = stream.uncork;
    stream.uncork = function countedUncork(this: CountedStream) {
      if (this.writableCorked === 1 && this.writableLength > 0) socketWrites++;
      return uncork.apply(this);
    };
  }
  return result;
};

process.on("message", (message: { type?: string }) => {
  if (message?.type === "pg-queries")
    process.send?.({ type: "pg-queries", queries, socketWrites, commits });
});
// A listener on the IPC channel would otherwise keep a process alive that is shutting down.
process.channel?.unref();

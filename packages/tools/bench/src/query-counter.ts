// Preloaded (`node --import`) into every process of a system under test: counts the Postgres
// statements the process sends and the socket writes that carry them, and answers the runner's
// `{ type: "pg-queries" }` over IPC.
//
// Every statement of the project goes through `pg`'s Client.query (knex's pg dialect, plain
// pools, the participant SDK and the orchestrator's pipelined statements alike), so counting the
// calls counts the statements (a multi-statement simple query counts once). Pipelining makes
// statements and round trips differ, so the socket writes are counted too: a write on an
// uncorked connection stream is one, and so is the uncork that flushes what a cork held back.
// pnpm links one `pg` for the whole workspace, so the services' `pg` is this module's `pg`.
import pg from "pg";

let queries = 0;
let socketWrites = 0;
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

const PgConnection = (pg as unknown as { Connection: { prototype: Record<string, unknown> } })
  .Connection;
const connect = PgConnection.prototype.connect as (...args: unknown[]) => unknown;
PgConnection.prototype.connect = function countedConnect(
  this: { stream: CountedStream },
  ...args: unknown[]
) {
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
  if (message?.type === "pg-queries") process.send?.({ type: "pg-queries", queries, socketWrites });
});
// A listener on the IPC channel would otherwise keep a process alive that is shutting down.
process.channel?.unref();

// Preloaded (`node --import`) into every process of a system under test: counts the Postgres
// round trips the process makes, and answers the runner's `{ type: "pg-queries" }` over IPC.
//
// Every query of the project goes through `pg`'s Client.query (knex's pg dialect, plain pools and
// the participant SDK alike), and one call is one round trip to the server (a multi-statement
// simple query included), so counting the calls counts the round trips. pnpm links one `pg` for
// the whole workspace, so the services' `pg` is this module's `pg`.
import pg from "pg";

let queries = 0;
const original = pg.Client.prototype.query;
// The counter is one increment per call; the patched method keeps query's every overload.
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  queries++;
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;

process.on("message", (message: { type?: string }) => {
  if (message?.type === "pg-queries") process.send?.({ type: "pg-queries", queries });
});
// A listener on the IPC channel would otherwise keep a process alive that is shutting down.
process.channel?.unref();

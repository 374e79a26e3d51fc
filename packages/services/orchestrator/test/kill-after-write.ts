// Preloaded (`node --import`) into an orchestrator under test: SIGKILLs the process the moment
// its Nth version-checked write has committed, before the caller hears of it, so the reply that
// caused it is never deleted from its queue (the write landed, the acknowledgement did not).
import { createRequire } from "node:module";
import type pgModule from "pg";

// The orchestrator reaches pg through the platform library, so that is where it is resolved from.
const pg = createRequire(import.meta.resolve("@sagaworks/platform"))("pg") as typeof pgModule;

const after = Number(process.env.KILL_AFTER_WRITES ?? "0");
let writes = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function killingQuery(this: pgModule.Client, ...args: unknown[]) {
  const result = (query as (...a: unknown[]) => unknown).apply(this, args);
  const name = (args[0] as { name?: string } | undefined)?.name;
  if (after > 0 && name === "saga_write_versioned" && result instanceof Promise) {
    return result.then((value) => {
      if (++writes === after) process.kill(process.pid, "SIGKILL");
      return value;
    });
  }
  return result;
} as typeof query;

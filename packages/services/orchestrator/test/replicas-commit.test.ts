// The version-checked commit path across orchestrator processes, on real Postgres (PGlite lives
// inside one process; without DATABASE_URL these are reported as skipped): three replicas with
// their own instance caches on one saga table, and a replica killed between a write that
// committed and the acknowledgement of the reply that caused it.
import { fileURLToPath, pathToFileURL } from "node:url";
import { waitFor } from "@sagaworks/messaging/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderInput, startCustomerServer, type TestEnv, testEnv } from "./harness.ts";
import {
  appliedOtherThanOnce,
  type Replica,
  replicaMetrics,
  spawnOrchestrator,
  startSaga,
  startShop,
} from "./replicas.fixtures.ts";

const killAfterWrite = pathToFileURL(
  fileURLToPath(new URL("./kill-after-write.ts", import.meta.url)),
);

async function completed(env: TestEnv): Promise<number> {
  const [row] = (await env.db.knex("saga_instances").where({ status: "completed" }).count({
    n: "*",
  })) as { n: string }[];
  return Number(row?.n ?? 0);
}

/**
 * Sagas whose answers were not applied exactly once per step (create-order has four), or whose
 * revision is not the number of its history entries (one per write).
 */
async function miscounted(env: TestEnv): Promise<unknown[]> {
  const twice = await appliedOtherThanOnce(env);
  const revisions = await env.db.knex.raw(
    `select i.id from saga_instances i
     where i.revision <> (select count(*) from saga_history h where h.saga_id = i.id)`,
  );
  return [...twice, ...revisions.rows];
}

describe.runIf(process.env.DATABASE_URL)("the commit path across processes (real Postgres)", () => {
  let customer: Awaited<ReturnType<typeof startCustomerServer>>;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    customer = await startCustomerServer();
  });
  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await customer.close();
  });

  it("three replicas run 150 sagas with every reply sent twice and apply each once", {
    timeout: 240_000,
  }, async () => {
    const env = await testEnv("three replicas");
    stops.push(() => env.close());
    const replicas: Replica[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await spawnOrchestrator(env, customer.url));
    for (const replica of replicas) stops.push(() => replica.stop());
    stops.push(...(await startShop(env, { duplicateReplies: true })));
    const total = 150;
    for (let i = 0; i < total; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          startSaga(replicas[(i + j) % 3] as Replica, orderInput(`t-${i + j}`, 100)),
        ),
      );
    }
    await waitFor(async () => (await completed(env)) === total, {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: `${total} sagas completed`,
    });
    expect(await miscounted(env)).toEqual([]);
    const metrics = await replicaMetrics(replicas);
    for (const m of metrics) expect(m.applied).toBeGreaterThan(0);
    expect(metrics.reduce((sum, m) => sum + m.duplicates, 0)).toBeGreaterThan(0);
  });

  it("a replica killed after a write committed and before its reply was acknowledged loses nothing and applies nothing twice", {
    timeout: 240_000,
  }, async () => {
    const env = await testEnv("kill after write");
    stops.push(() => env.close());
    // Dies the moment its 30th version-checked write has committed, before it is answered.
    const doomed = await spawnOrchestrator(env, customer.url, {
      NODE_OPTIONS: `--import=${killAfterWrite.href}`,
      KILL_AFTER_WRITES: "30",
    });
    stops.push(...(await startShop(env)));
    const total = 40;
    const inputs = Array.from({ length: total }, (_, i) => orderInput(`w-${i}`, 100));
    // On a busy machine replies are written between the starts, so the kill may cut off a start
    // whose answer never came (committed or not): its client tries again below.
    const starts = await Promise.allSettled(
      inputs.map((input, i) => startSaga(doomed, input, `w-${i}`)),
    );
    await waitFor(async () => doomed.child.signalCode === "SIGKILL", {
      timeoutMs: 60_000,
      description: "the replica to die after its 30th write",
    });
    await doomed.stop();
    expect(await completed(env)).toBeLessThan(total);

    // The reply whose write committed comes back after its visibility timeout, to a new replica.
    const survivor = await spawnOrchestrator(env, customer.url);
    stops.push(() => survivor.stop());
    // With the same idempotency key, so a start that did commit is not started twice.
    await Promise.all(
      starts.map((start, i) =>
        start.status === "rejected" ? startSaga(survivor, inputs[i], `w-${i}`) : undefined,
      ),
    );
    await waitFor(async () => (await completed(env)) === total, {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: `${total} sagas completed after the kill`,
    });
    expect(await miscounted(env)).toEqual([]);
  });
});

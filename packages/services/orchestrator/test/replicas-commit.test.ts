// The version-checked commit path across orchestrator processes, on real Postgres (PGlite lives
// inside one process; without DATABASE_URL these are reported as skipped): three replicas with
// their own instance caches on one saga table, and a replica killed between a write that
// committed and the acknowledgement of the reply that caused it.
import { fileURLToPath, pathToFileURL } from "node:url";
import { waitFor } from "@sagaworks/messaging/testing";
import { describe, expect, it } from "vitest";
import { orderInput, type TestEnv } from "./harness.ts";
import {
  appliedOtherThanOnce,
  completedSagas,
  expectEveryReplicaWorked,
  type Replica,
  replicaSuite,
  spawnOrchestrator,
  startSaga,
  startSagasAcross,
  startShop,
  waitForCompleted,
} from "./replicas.fixtures.ts";

const killAfterWrite = pathToFileURL(
  fileURLToPath(new URL("./kill-after-write.ts", import.meta.url)),
);

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
  const { customerUrl, newEnv, stops } = replicaSuite();

  it("three replicas run 150 sagas with every reply sent twice and apply each once", {
    timeout: 240_000,
  }, async () => {
    const env = await newEnv("three replicas");
    const replicas: Replica[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await spawnOrchestrator(env, customerUrl()));
    for (const replica of replicas) stops.push(() => replica.stop());
    stops.push(...(await startShop(env, { duplicateReplies: true })));
    const total = 150;
    await startSagasAcross(replicas, total, "t");
    await waitForCompleted(env, total);
    expect(await miscounted(env)).toEqual([]);
    await expectEveryReplicaWorked(replicas);
  });

  it("a replica killed after a write committed and before its reply was acknowledged loses nothing and applies nothing twice", {
    timeout: 240_000,
  }, async () => {
    const env = await newEnv("kill after write");
    // Dies the moment its 30th version-checked write has committed, before it is answered.
    const doomed = await spawnOrchestrator(env, customerUrl(), {
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
    expect(await completedSagas(env)).toBeLessThan(total);

    // The reply whose write committed comes back after its visibility timeout, to a new replica.
    const survivor = await spawnOrchestrator(env, customerUrl());
    stops.push(() => survivor.stop());
    // With the same idempotency key, so a start that did commit is not started twice.
    await Promise.all(
      starts.map((start, i) =>
        start.status === "rejected" ? startSaga(survivor, inputs[i], `w-${i}`) : undefined,
      ),
    );
    await waitForCompleted(env, total, " after the kill");
    expect(await miscounted(env)).toEqual([]);
  });
});

// Several orchestrator processes on one database and one set of queues. PGlite lives inside one
// process, so these run against real Postgres (CI sets DATABASE_URL); without it they are
// reported as skipped, never silently passed.
import { waitFor } from "@sagaworks/messaging/testing";
import { describe, expect, it } from "vitest";
import { orderInput, type TestEnv } from "./harness.ts";
import {
  appliedOtherThanOnce,
  expectEveryReplicaWorked,
  replicaSuite,
  spawnOrchestrator,
  startSaga,
  startSagasAcross,
  startShop,
  waitForCompleted,
} from "./replicas.fixtures.ts";

async function countByStatus(env: TestEnv): Promise<Record<string, number>> {
  const rows = (await env.db
    .knex("saga_instances")
    .select("status")
    .count({ n: "*" })
    .groupBy("status")) as {
    status: string;
    n: string;
  }[];
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

describe.runIf(process.env.DATABASE_URL)("several orchestrator processes (real Postgres)", () => {
  const { customerUrl, newEnv, stops } = replicaSuite();

  it("two replicas run 500 sagas and apply every reply exactly once", {
    timeout: 240_000,
  }, async () => {
    const env = await newEnv("two replicas");
    const replicas = [
      await spawnOrchestrator(env, customerUrl()),
      await spawnOrchestrator(env, customerUrl()),
    ];
    for (const replica of replicas) stops.push(() => replica.stop());
    // Every reply is sent twice: both replicas may receive a copy, and still it applies once.
    stops.push(...(await startShop(env, { duplicateReplies: true })));

    const total = 500;
    await startSagasAcross(replicas, total, "c");
    await waitForCompleted(env, total);
    expect(await countByStatus(env)).toEqual({ completed: total });
    expect(await appliedOtherThanOnce(env)).toEqual([]);
    // Both replicas did real work, and the duplicate copies were dropped by the inbox.
    await expectEveryReplicaWorked(replicas);
  });

  it("a SIGKILL in the middle of 200 sagas loses none: a restarted orchestrator finishes them", {
    timeout: 240_000,
  }, async () => {
    const env = await newEnv("crash");
    const first = await spawnOrchestrator(env, customerUrl());
    stops.push(...(await startShop(env)));

    const total = 200;
    await Promise.all(
      Array.from({ length: total }, (_, i) => startSaga(first, orderInput(`k-${i}`, 100))),
    );
    await waitFor(async () => ((await countByStatus(env)).completed ?? 0) >= 20, {
      timeoutMs: 60_000,
      description: "some sagas to complete before the crash",
    });
    first.child.kill("SIGKILL");
    await first.stop();
    const before = await countByStatus(env);
    expect(before.completed ?? 0).toBeLessThan(total);

    const second = await spawnOrchestrator(env, customerUrl());
    stops.push(() => second.stop());
    await waitForCompleted(env, total, " after the restart");
    expect(await appliedOtherThanOnce(env)).toEqual([]);
  });
});

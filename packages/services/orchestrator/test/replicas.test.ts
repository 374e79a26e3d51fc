// Several orchestrator processes on one database and one set of queues. PGlite lives inside one
// process, so these run against real Postgres (CI sets DATABASE_URL); without it they are
// reported as skipped, never silently passed.
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
  let customer: Awaited<ReturnType<typeof startCustomerServer>>;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    customer = await startCustomerServer();
  });
  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await customer.close();
  });

  it("two replicas run 500 sagas and apply every reply exactly once", {
    timeout: 240_000,
  }, async () => {
    const env = await testEnv("two replicas");
    stops.push(() => env.close());
    const replicas = [
      await spawnOrchestrator(env, customer.url),
      await spawnOrchestrator(env, customer.url),
    ];
    for (const replica of replicas) stops.push(() => replica.stop());
    // Every reply is sent twice: both replicas may receive a copy, and still it applies once.
    stops.push(...(await startShop(env, { duplicateReplies: true })));

    const total = 500;
    for (let i = 0; i < total; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          startSaga(replicas[(i + j) % 2] as Replica, orderInput(`c-${i + j}`, 100)),
        ),
      );
    }
    await waitFor(async () => (await countByStatus(env)).completed === total, {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: `${total} sagas completed`,
    });
    expect(await countByStatus(env)).toEqual({ completed: total });
    expect(await appliedOtherThanOnce(env)).toEqual([]);
    const metrics = await replicaMetrics(replicas);
    // Both replicas did real work, and the duplicate copies were dropped by the inbox.
    for (const m of metrics) expect(m.applied).toBeGreaterThan(0);
    expect(metrics.reduce((sum, m) => sum + m.duplicates, 0)).toBeGreaterThan(0);
  });

  it("a SIGKILL in the middle of 200 sagas loses none: a restarted orchestrator finishes them", {
    timeout: 240_000,
  }, async () => {
    const env = await testEnv("crash");
    stops.push(() => env.close());
    const first = await spawnOrchestrator(env, customer.url);
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

    const second = await spawnOrchestrator(env, customer.url);
    stops.push(() => second.stop());
    await waitFor(async () => (await countByStatus(env)).completed === total, {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: `${total} sagas completed after the restart`,
    });
    expect(await appliedOtherThanOnce(env)).toEqual([]);
  });
});

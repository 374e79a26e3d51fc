// What the multi-process tests share: the suite's customer server and stops, an orchestrator
// started as its own process on a test's database and queues, the order and account participants,
// sagas started through the replicas' API, the wait for them to complete, the check of what each
// replica's metrics count, and the check that every answer of a create-order saga was applied
// exactly once.
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@sagaworks/messaging/testing";
import { startServiceProcess } from "@sagaworks/service-kit/testing";
import { afterAll, beforeAll, expect, inject } from "vitest";
import {
  API_TOKEN,
  definitionsDir,
  orderInput,
  shopAnswers,
  startCustomerServer,
  startParticipant,
  type TestEnv,
  testEnv,
} from "./harness.ts";

const mainPath = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** An orchestrator process. */
export interface Replica {
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` as its own process on the test's schema and queues, with `extra` added to
 * its environment, and waits for its "orchestrator ready" line.
 */
export async function spawnOrchestrator(
  env: TestEnv,
  customerUrl: string,
  extra: Record<string, string> = {},
): Promise<Replica> {
  const started = startServiceProcess(mainPath, {
    DATABASE_URL: process.env.DATABASE_URL ?? "",
    ORCHESTRATOR_DB_SCHEMA: env.db.schema,
    AWS_ENDPOINT_URL: inject("brokerEndpoint"),
    SAGAWORKS_ENV_PREFIX: env.prefix,
    ORCHESTRATOR_API_TOKEN: API_TOKEN,
    ORCHESTRATOR_PORT: "0",
    SAGA_DEFINITIONS_DIR: definitionsDir,
    SERVICE_URLS: `customer=${customerUrl}`,
    REPLY_CONCURRENCY: "20",
    LOG_LEVEL: "info",
    ...extra,
  });
  const address = await started.ready("orchestrator", 60_000);
  return {
    address,
    child: started.child,
    async stop() {
      await started.stop();
    },
  };
}

/** Starts a create-order saga through `replica`; its id. */
export async function startSaga(
  replica: Replica,
  input: unknown,
  idempotencyKey?: string,
): Promise<string> {
  const response = await fetch(`${replica.address}/sagas/create-order`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${API_TOKEN}`,
      "content-type": "application/json",
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: JSON.stringify({ input }),
  });
  // 200: a start with this idempotency key was committed before (its answer was lost).
  const repeated = idempotencyKey !== undefined && response.status === 200;
  if (response.status !== 201 && !repeated)
    throw new Error(`start failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

/**
 * The set-up every multi-process suite shares, registered as hooks of the calling `describe`: one
 * customer server for the whole suite, and a list of stops that run in reverse after it.
 */
export function replicaSuite(): {
  /** The customer server's address; read it inside a test, once `beforeAll` has run. */
  customerUrl(): string;
  /** A test's own env, closed after the suite. */
  newEnv(testName: string): Promise<TestEnv>;
  stops: (() => Promise<void>)[];
} {
  let customer: Awaited<ReturnType<typeof startCustomerServer>> | undefined;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    customer = await startCustomerServer();
  });
  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await customer?.close();
  });
  return {
    customerUrl() {
      if (!customer) throw new Error("the customer server starts in beforeAll");
      return customer.url;
    },
    async newEnv(testName) {
      const env = await testEnv(testName);
      stops.push(() => env.close());
      return env;
    },
    stops,
  };
}

/**
 * Starts `total` create-order sagas, 25 at a time, handed out in turn to `replicas`; each saga's
 * input carries the customer `${prefix}-${n}`.
 */
export async function startSagasAcross(
  replicas: readonly Replica[],
  total: number,
  prefix: string,
): Promise<void> {
  for (let i = 0; i < total; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, (_, j) =>
        startSaga(
          replicas[(i + j) % replicas.length] as Replica,
          orderInput(`${prefix}-${i + j}`, 100),
        ),
      ),
    );
  }
}

/** How many of the test's sagas have completed. */
export async function completedSagas(env: TestEnv): Promise<number> {
  const [row] = (await env.db.knex("saga_instances").where({ status: "completed" }).count({
    n: "*",
  })) as { n: string }[];
  return Number(row?.n ?? 0);
}

/** Waits (up to three minutes) until `total` of the test's sagas have completed. */
export async function waitForCompleted(env: TestEnv, total: number, after = ""): Promise<void> {
  await waitFor(async () => (await completedSagas(env)) === total, {
    timeoutMs: 180_000,
    intervalMs: 500,
    description: `${total} sagas completed${after}`,
  });
}

/** Each replica's count of replies applied and of duplicates dropped by the inbox. */
function replicaMetrics(
  replicas: readonly Replica[],
): Promise<{ applied: number; duplicates: number }[]> {
  return Promise.all(
    replicas.map(
      async (r) =>
        (await (await fetch(`${r.address}/metrics.json`)).json()) as {
          applied: number;
          duplicates: number;
        },
    ),
  );
}

/**
 * Checks that every replica applied replies itself, and that the inbox dropped duplicate copies
 * somewhere among them.
 */
export async function expectEveryReplicaWorked(replicas: readonly Replica[]): Promise<void> {
  const metrics = await replicaMetrics(replicas);
  for (const m of metrics) expect(m.applied).toBeGreaterThan(0);
  expect(metrics.reduce((sum, m) => sum + m.duplicates, 0)).toBeGreaterThan(0);
}

/** Sagas whose answers were applied other than exactly once per step (create-order has four). */
export function appliedOtherThanOnce(env: TestEnv): Promise<unknown[]> {
  return env.db
    .knex("saga_history")
    .select("saga_id")
    .count({ n: "*" })
    .where({ applied: true })
    .whereIn("event_type", ["reply", "http-response"])
    .groupBy("saga_id")
    .havingRaw("count(*) <> 4");
}

/**
 * Starts the order and account participants on the test's queues, answering as the shop does
 * with no credit limit; `duplicateReplies` sends every reply twice. Their stops, to run after.
 */
export async function startShop(
  env: TestEnv,
  options: { duplicateReplies?: boolean } = {},
): Promise<(() => Promise<void>)[]> {
  const answers = shopAnswers(Number.MAX_SAFE_INTEGER);
  const order = await startParticipant(env, "order", answers.order, options);
  const account = await startParticipant(env, "account", answers.account, options);
  return [() => order.consumer.stop(), () => account.consumer.stop()];
}

// What tests of the whole back end share: starting a system of their own on the run's back ends,
// opening customers on it, the command its orchestrator sends first, and ending it without leaving
// schemas behind.
import type { CommandInput } from "@sagaworks/messaging";
import { revisionGuardRequested } from "@sagaworks/orchestrator/testing";
import { silentLogger } from "@sagaworks/platform";
import { dropTestSchemas, uniqueTestName } from "@sagaworks/platform/testing";
import { replyQueueName } from "@sagaworks/topology";
import { type RunningSystem, type SystemOptions, startSystem } from "./system.ts";

/** What a test chooses; the rest of {@link SystemOptions} is filled for tests. */
export type TestSystemOptions = Pick<SystemOptions, "apiToken" | "awsEndpoint"> &
  Partial<
    Pick<
      SystemOptions,
      "logger" | "databaseUrl" | "prefix" | "serviceToken" | "definitions" | "chainSteps"
    >
  >;

/**
 * Starts the whole back end for one test file: queue names and schemas unique to `testName` (so
 * files running side by side never meet), `DATABASE_URL` unless the test gives another, fast
 * polling, a silent logger unless the test gives one, and the orchestrator's revision guard when
 * the run asks for it.
 */
export function startTestSystem(
  testName: string,
  options: TestSystemOptions,
): Promise<RunningSystem> {
  const prefix = options.prefix ?? uniqueTestName(testName, 24);
  return startSystem({
    logger: options.logger ?? silentLogger(),
    databaseUrl: options.databaseUrl ?? process.env.DATABASE_URL,
    awsEndpoint: options.awsEndpoint,
    prefix,
    schemaPrefix: `${prefix.replace(/-/g, "_")}_`,
    apiToken: options.apiToken,
    serviceToken: options.serviceToken,
    fast: true,
    definitions: options.definitions,
    revisionGuard: revisionGuardRequested(),
    chainSteps: options.chainSteps,
  });
}

/**
 * Stops a system started by `startSystem` and, on a shared Postgres (`DATABASE_URL`), drops the
 * schemas it made, plus `extraSchemas` (a test's own, such as a journal).
 */
export async function stopSystemAndDropSchemas(
  system: RunningSystem,
  extraSchemas: readonly string[] = [],
): Promise<void> {
  const schemas = [...Object.values(system.databases).map((db) => db.schema), ...extraSchemas];
  await system.stop();
  await dropTestSchemas(schemas, process.env);
}

/**
 * Creates a customer on `system`'s customer service and, unless `account` is false, opens its
 * account with the same credit limit on the account service, both with the system's service
 * token; the customer's id (`cust-` and eight random characters). Throws with the service's
 * answer when either is refused.
 */
export async function openCustomer(
  system: RunningSystem,
  creditLimitCents: number,
  options: { account?: boolean } = {},
): Promise<string> {
  const id = `cust-${crypto.randomUUID().slice(0, 8)}`;
  const create = async (url: string, body: unknown) => {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${system.serviceToken}`,
      },
      body: JSON.stringify(body),
    });
    if (response.status !== 201)
      throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  };
  await create(`${system.urls.customer}/customers`, {
    id,
    name: `Customer ${id}`,
    email: `${id}@example.com`,
    creditLimitCents,
  });
  if (options.account !== false)
    await create(`${system.urls.account}/accounts`, { customerId: id, creditLimitCents });
  return id;
}

/**
 * Where the first ReserveCredit of the shipped create-order saga `sagaId` stands, as its command
 * and the reply to it carry it: the saga, the reserve-credit step and its first attempt.
 */
export function reserveCreditAttempt(sagaId: string) {
  return {
    sagaId,
    sagaName: "create-order",
    sagaVersion: 1,
    step: "reserve-credit",
    attempt: 1,
    compensation: false as const,
  };
}

/**
 * The ReserveCredit command (unsigned, not yet an envelope) that the orchestrator of a system
 * with `prefix` sends for the first attempt of the reserve-credit step of the shipped create-order
 * saga `sagaId`, with `payload`; tests send it again, alter it or sign it as they need.
 */
export function reserveCreditCommand(
  sagaId: string,
  prefix: string,
  payload: { customerId: string; orderId: string; amountCents: number },
): CommandInput {
  return {
    name: "ReserveCredit",
    ...reserveCreditAttempt(sagaId),
    idempotencyKey: `${sagaId}:reserve-credit`,
    replyTo: replyQueueName(prefix),
    payload,
  };
}

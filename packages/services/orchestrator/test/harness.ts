// Test support for the orchestrator: a broker on the run's endpoint and a database of the test's
// own; the participants live in src/testing so benchmarks can use them without vitest.

import { waitFor } from "@sagaworks/messaging/testing";
import { type AwsClients, createAwsClients, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import {
  createOrchestrator,
  loadDefinitions,
  type Orchestrator,
  type OrchestratorDeps,
} from "../src/index.ts";
import { orderInput, startParticipant } from "../src/testing/index.ts";
import { revisionGuardRequested } from "../src/testing/revision-guard.ts";

export {
  type Answer,
  orderInput,
  shopAnswers,
  startCustomerServer,
  startParticipant,
} from "../src/testing/index.ts";

export const API_TOKEN = "test-token-0123456789";
export const definitionsDir = sagaDefinitionsDir;

/**
 * The input schema of the small sagas the tests compile for themselves: a customer and an amount,
 * which is all that createOrderStep maps; a function so that no test shares a mutable schema.
 */
export function customerTotalInput() {
  return {
    type: "object",
    properties: { customerId: { type: "string" }, totalCents: { type: "integer" } },
    required: ["customerId", "totalCents"],
  };
}

/** The shipped definitions, compiled. */
export function shippedDefinitions(): Promise<CompiledSaga[]> {
  return loadDefinitions(definitionsDir);
}

/**
 * The cleanups a test registers as it starts things (its env, servers, orchestrators); registers
 * an `afterEach` of the calling file that runs them, last first.
 */
export function cleanupsAfterEach(): (() => Promise<void>)[] {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** A test's own broker clients, database and name prefix; `close()` releases all. */
export interface TestEnv {
  clients: AwsClients;
  db: TestDatabase;
  prefix: string;
  close(): Promise<void>;
}

export async function testEnv(testName: string): Promise<TestEnv> {
  const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
  const db = await createTestDatabase(testName, process.env);
  return {
    clients,
    db,
    prefix: uniqueTestName(testName, 24),
    async close() {
      await db.drop();
      clients.destroy();
    },
  };
}

/** What a test gives an orchestrator: the definitions, and any dependency it replaces. */
export type TestOrchestratorDeps = Partial<OrchestratorDeps> & {
  definitions: readonly CompiledSaga[];
};

/**
 * An orchestrator on the test's env, not started: the test drives it through its API, its
 * runtime or its clock. `overrides` replaces any of its dependencies.
 */
export function createTestOrchestrator(
  env: TestEnv,
  overrides: TestOrchestratorDeps,
): Promise<Orchestrator> {
  return createOrchestrator({
    revisionGuard: revisionGuardRequested(),
    db: env.db,
    clients: env.clients,
    logger: silentLogger(),
    prefix: env.prefix,
    serviceUrls: {},
    apiToken: API_TOKEN,
    ...overrides,
  });
}

/** Starts an orchestrator on the test's env with fast polling. */
export async function startOrchestrator(
  env: TestEnv,
  overrides: TestOrchestratorDeps,
): Promise<Orchestrator> {
  const orchestrator = await createTestOrchestrator(env, {
    ...overrides,
    options: {
      replyWaitTimeSeconds: 1,
      timerPollIntervalMs: 50,
      relayPollIntervalMs: 100,
      // Tests of timeouts expect them on time after start; the hold has its own tests.
      holdStepTimeoutsMaxMs: 0,
      ...overrides.options,
    },
  });
  orchestrator.start();
  return orchestrator;
}

type Answering = Parameters<typeof startParticipant>[2];
type StartedParticipant = Awaited<ReturnType<typeof startParticipant>>;

/** What a file's own orchestrator stands on; read its fields inside tests, once `beforeAll` ran. */
export interface FileOrchestrator<Service extends string = never> {
  env: TestEnv;
  orchestrator: Orchestrator;
  /** The stand-in participants the file asked for, by service. */
  participants: Record<Service, StartedParticipant>;
}

/**
 * One orchestrator that every test of the calling file shares, on an env named `name`: a
 * `beforeAll` of the file starts it (only builds it, with `start: false`) with the dependencies
 * `deps` returns, then a stand-in participant for each service in `participants`; an `afterAll`
 * stops them, the orchestrator and the env. Hooks the file registers later run inside these.
 */
export function orchestratorForFile<Service extends string = never>(
  name: string,
  deps: () => TestOrchestratorDeps | Promise<TestOrchestratorDeps>,
  options: {
    participants?: Record<Service, Answering>;
    start?: boolean;
  } = {},
): FileOrchestrator<Service> {
  const file = { participants: {} } as FileOrchestrator<Service>;
  beforeAll(async () => {
    file.env = await testEnv(name);
    const overrides = await deps();
    file.orchestrator = await (options.start === false
      ? createTestOrchestrator
      : startOrchestrator)(file.env, overrides);
    const participants = (options.participants ?? {}) as Record<Service, Answering>;
    for (const [service, answer] of Object.entries(participants) as [Service, Answering][]) {
      file.participants[service] = await startParticipant(file.env, service, answer);
    }
  }, 120_000);
  afterAll(async () => {
    const participants: StartedParticipant[] = Object.values(file.participants);
    for (const participant of participants) await participant.consumer.stop();
    await file.orchestrator?.stop();
    await file.env?.close();
  });
  return file;
}

/**
 * Starts a create-order saga through `POST /sagas/create-order` of `orchestrator`, as a client
 * does; fails the test unless it answers 201, and returns the saga's id.
 */
export async function startOrderThroughApi(
  orchestrator: Orchestrator,
  customerId: string,
  totalCents: number,
): Promise<string> {
  const response = await orchestrator.api.inject({
    method: "POST",
    url: "/sagas/create-order",
    headers: { authorization: `Bearer ${API_TOKEN}` },
    payload: { input: orderInput(customerId, totalCents) },
  });
  expect(response.statusCode).toBe(201);
  return (response.json() as { sagaId: string }).sagaId;
}

/** A saga as `GET /sagas/:id` of `orchestrator` shows it; fails the test unless it answers 200. */
export async function viewSaga(
  orchestrator: Orchestrator,
  sagaId: string,
  // biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON field by field.
): Promise<Record<string, any>> {
  const response = await orchestrator.api.inject({
    method: "GET",
    url: `/sagas/${sagaId}`,
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  expect(response.statusCode).toBe(200);
  return response.json();
}

/**
 * Polls `GET /sagas/:id` of `orchestrator` until the saga it shows passes `test` (for up to
 * `timeoutMs`, 20 s by default), and returns it; `what` ends the description of the wait
 * ("saga <id> <what>").
 */
export function waitForSaga(
  orchestrator: Orchestrator,
  sagaId: string,
  what: string,
  // biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON field by field.
  test: (saga: Record<string, any>) => boolean,
  timeoutMs = 20_000,
  // biome-ignore lint/suspicious/noExplicitAny: as above.
): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const response = await orchestrator.api.inject({
        method: "GET",
        url: `/sagas/${sagaId}`,
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      const body = response.json();
      return test(body) ? body : undefined;
    },
    { description: `saga ${sagaId} ${what}`, timeoutMs },
  );
}

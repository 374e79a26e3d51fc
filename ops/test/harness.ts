// A whole back end per test (and for the runbook's dev stack) (orchestrator, order, account,
// customer services on the run's broker and Postgres), a way to break the account participant so
// sagas stall and their commands reach the DLQ, and `ops` run in-process against it.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { startAccountService } from "@sagaworks/account-service";
import { serviceContracts } from "@sagaworks/contracts";
import { createReplyEnvelope, type ReplyEnvelope, type SqsConsumer } from "@sagaworks/messaging";
import { alwaysFailingConsumer, waitFor } from "@sagaworks/messaging/testing";
import { type Logger, silentLogger } from "@sagaworks/platform";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { testServiceAuth } from "@sagaworks/service-kit/testing";
import type { RunningSystem } from "@sagaworks/system";
import {
  openCustomer,
  reserveCreditAttempt,
  startTestSystem,
  stopSystemAndDropSchemas,
} from "@sagaworks/system/testing";
import { commandQueueName, deadLetterQueueName, loadSagaDefinitions } from "@sagaworks/topology";
import { runOps } from "../src/run-ops.ts";

/**
 * Every shipped saga, as a deployment runs them (so the queues the system creates are the ones
 * `ops` derives from the same folder), with create-order's step timeouts long enough that a
 * stalled saga waits.
 */
async function patientDefinitions() {
  const order = JSON.parse(
    readFileSync(join(sagaDefinitionsDir, "create-order.saga.json"), "utf8"),
  );
  for (const step of order.steps) if (step.kind === "command") step.timeout = "10m";
  const patient = compileSagaOrThrow(order, { contracts: serviceContracts });
  const shipped = await loadSagaDefinitions(sagaDefinitionsDir);
  return shipped.map((saga) => (saga.name === patient.name ? patient : saga));
}

/**
 * The CreditReserved reply of a create-order saga's reserve-credit step, as the account
 * participant sends it: a late one is what dead-letters on the reply queue once its saga finished.
 */
export function creditReservedReply(sagaId: string, amountCents: number): ReplyEnvelope {
  return createReplyEnvelope({
    name: "CreditReserved",
    ...reserveCreditAttempt(sagaId),
    causationId: randomUUID(),
    payload: { amountCents },
  });
}

/** One running system for a test, with helpers. */
export class OpsHarness {
  private brokenConsumer: SqsConsumer | undefined;
  private account: Awaited<ReturnType<typeof startAccountService>> | undefined;
  readonly system: RunningSystem;
  readonly journalSchema: string;

  private constructor(system: RunningSystem, journalSchema: string) {
    this.system = system;
    this.journalSchema = journalSchema;
  }

  /** Starts a system on `endpoint` (undefined: an embedded emulator of its own). */
  static async start(
    testName: string,
    endpoint: string | undefined,
    options: { logger?: Logger; prefix?: string } = {},
  ): Promise<OpsHarness> {
    const system = await startTestSystem(testName, {
      logger: options.logger,
      prefix: options.prefix,
      awsEndpoint: endpoint,
      apiToken: "ops-test-token-0123456789",
      serviceToken: testServiceAuth.writeToken,
      definitions: await patientDefinitions(),
      // Step by step: these tests hold sagas at their pivot (create-order done, reserve-credit
      // broken) for an operator to act on, which a chain of the three never shows.
      chainSteps: false,
    });
    return new OpsHarness(system, `${system.prefix.replace(/-/g, "_")}_ops`);
  }

  get prefix(): string {
    return this.system.prefix;
  }
  get accountQueue(): string {
    return commandQueueName(this.prefix, "account");
  }
  get accountDlq(): string {
    return deadLetterQueueName(this.accountQueue);
  }

  /** The environment `ops` reads. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.system.broker.endpoint ?? "",
      SAGAWORKS_ENV_PREFIX: this.prefix,
      ORCHESTRATOR_URL: this.system.urls.orchestrator,
      ORCHESTRATOR_API_TOKEN: this.system.apiToken,
      DATABASE_URL: process.env.DATABASE_URL ?? "",
      OPS_DB_SCHEMA: this.journalSchema,
      OPS_ACTOR: "ops-test",
      ...extra,
    };
  }

  /** Runs `ops` in this process; returns its exit status and output. */
  async ops(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await runOps(argv, {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      env: this.env(),
      cwd: process.cwd(),
      isTty: false,
    });
    return { code, out, err };
  }

  /** Runs a read command with --json and parses its output. */
  async opsJson<T>(...argv: string[]): Promise<T> {
    const result = await this.ops(...argv, "--json");
    if (result.err !== "") throw new Error(`ops ${argv.join(" ")} wrote to stderr: ${result.err}`);
    return JSON.parse(result.out) as T;
  }

  async queueUrl(name: string): Promise<string> {
    const found = await this.system.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    return found.QueueUrl ?? "";
  }

  /** Visible plus in-flight messages of a queue. */
  async depth(name: string): Promise<number> {
    const { Attributes = {} } = await this.system.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.queueUrl(name),
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible)
    );
  }

  /** Opens a customer with an account of this limit; returns its id. */
  async newCustomer(creditLimitCents: number): Promise<string> {
    // The account row is written directly: the account participant may be broken right now.
    const id = await openCustomer(this.system, creditLimitCents, { account: false });
    await this.system.databases.account.knex("accounts").insert({
      customer_id: id,
      credit_limit_cents: creditLimitCents,
      available_cents: creditLimitCents,
      reserved_cents: 0,
      spent_cents: 0,
    });
    return id;
  }

  /** Starts a create-order saga; returns its id. */
  async startOrder(customerId: string, totalCents: number): Promise<string> {
    const response = await fetch(`${this.system.urls.orchestrator}/sagas/create-order`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${this.system.apiToken}`,
      },
      body: JSON.stringify({
        input: {
          customerId,
          items: [{ sku: "sku-1", quantity: 1, unitPriceCents: totalCents }],
          totalCents,
        },
      }),
    });
    if (response.status !== 201) throw new Error(`saga not started: ${await response.text()}`);
    return ((await response.json()) as { sagaId: string }).sagaId;
  }

  /** A saga's status, step and snapshot, as the API returns it. */
  async saga(
    id: string,
  ): Promise<{ snapshot: { status: string; pending: Record<string, { step: string }> } }> {
    const response = await fetch(`${this.system.urls.orchestrator}/sagas/${id}`, {
      headers: { authorization: `Bearer ${this.system.apiToken}` },
    });
    return (await response.json()) as {
      snapshot: { status: string; pending: Record<string, { step: string }> };
    };
  }

  async waitForStatus(id: string, status: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await this.saga(id)).snapshot.status === status, {
      timeoutMs,
      description: `saga ${id} to be ${status}`,
    });
  }

  /**
   * Breaks the account participant: the real service stops and a stand-in whose database is
   * "unreachable" takes its commands, failing every delivery until they reach the DLQ.
   */
  async breakAccount(): Promise<void> {
    await (this.account ?? this.system.services.account).stop();
    this.account = undefined;
    this.brokenConsumer = alwaysFailingConsumer({
      sqs: this.system.clients.sqs,
      queueUrl: await this.queueUrl(this.accountQueue),
      reason: "account database unreachable",
    });
    this.brokenConsumer.start();
  }

  /** Stops the broken stand-in; the command queue is then not consumed at all. */
  async stopBroken(): Promise<void> {
    await this.brokenConsumer?.stop();
    this.brokenConsumer = undefined;
  }

  /** Starts the real account participant again. */
  async repairAccount(): Promise<void> {
    await this.stopBroken();
    this.account = await startAccountService({
      db: this.system.databases.account,
      sqs: this.system.clients.sqs,
      logger: silentLogger(),
      prefix: this.prefix,
      waitTimeSeconds: 1,
      auth: testServiceAuth,
    });
  }

  /** Starts `count` orders while the account participant is broken; waits for them in the DLQ. */
  async stallOrders(
    count: number,
    totalCents = 1_000,
  ): Promise<{ sagaIds: string[]; customers: string[] }> {
    await this.breakAccount();
    const customers: string[] = [];
    const sagaIds: string[] = [];
    const before = await this.depth(this.accountDlq);
    for (let i = 0; i < count; i++) {
      const customer = await this.newCustomer(10_000);
      customers.push(customer);
      sagaIds.push(await this.startOrder(customer, totalCents));
    }
    await waitFor(async () => (await this.depth(this.accountDlq)) === before + count, {
      timeoutMs: 90_000,
      description: `${count} ReserveCredit commands in the account DLQ`,
    });
    await this.stopBroken();
    return { sagaIds, customers };
  }

  async stop(): Promise<void> {
    await this.stopBroken();
    await this.account?.stop();
    await stopSystemAndDropSchemas(this.system, [this.journalSchema]);
  }
}

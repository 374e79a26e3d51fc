// The systems under test: Sagaworks (one process, or two orchestrators and one process per
// service) and the hand-written baseline, started, seeded and driven through their HTTP APIs.
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type DeployableName, deployableMain } from "@sagaworks/deployables";
import { applyTopology, deriveTopology, eventQueueName } from "@sagaworks/topology";
import pg from "pg";
import type { BaselineQueues } from "./baseline.ts";
import { bundleDeployable } from "./bundle.ts";
import { type Child, startChild } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";
import { EventWaiter, type StartResult } from "./load.ts";
import { prefillSql } from "./prefill.ts";
import {
  apiToken,
  CREDIT_CENTS,
  customerIds,
  customerOf,
  databaseUrl,
  here,
  isUnknown,
  repo,
  schemaPrefix,
  serviceAuth,
  serviceToken,
  settings,
  sleep,
} from "./settings.ts";
import { benchOrder, openBenchCustomer, postJson, startBenchSaga } from "./shop-requests.ts";
import { TERMINAL_EVENTS } from "./terminal-events.ts";

/**
 * The script each deployable starts from: its main.ts, or with `--start-from bundle` the bundle
 * its image would run (built once per run).
 */
export async function deployableMains(): Promise<Record<DeployableName, string>> {
  const names: DeployableName[] = ["orchestrator", "order", "account", "customer"];
  const mains = await Promise.all(
    names.map((name) =>
      settings.startFrom === "source"
        ? Promise.resolve(repo(deployableMain(name)))
        : bundleDeployable(name, settings.startFrom === "bundle-all"),
    ),
  );
  return Object.fromEntries(names.map((name, i) => [name, mains[i]])) as Record<
    DeployableName,
    string
  >;
}

/** Every process of a system under test counts its Postgres round trips (query-counter.ts). */
const countQueries = ["--import", here("./query-counter.ts")];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string")
    throw BenchErrors.create(BenchErrorCode.setupFailed, "found no free TCP port on 127.0.0.1");
  return address.port;
}

/** Waits until `GET <url>/ready` answers 200, failing early if the child ends. */
async function waitReady(child: Child, url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exit: string | undefined;
  void child.exited.then((text) => {
    exit = text;
  });
  for (;;) {
    if (exit) {
      const last = child.lines.at(-1);
      throw BenchErrors.create(
        BenchErrorCode.processFailed,
        `${child.name} ended (${exit}) before it was ready${last ? `; its last log line: ${JSON.stringify(last)}` : ""}`,
      );
    }
    try {
      const response = await fetch(`${url}/ready`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > until)
      throw BenchErrors.create(
        BenchErrorCode.processFailed,
        `${child.name} was not ready at ${url} within ${timeoutMs} ms`,
      );
    await sleep(100);
  }
}

/** The runner's own SQS/SNS clients; their access key tells the emulator they are the client. */
function clientAws(endpoint: string) {
  const common = {
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "benchclient", secretAccessKey: "benchclient" },
  };
  return { sqs: new SQSClient(common), sns: new SNSClient(common) };
}

export interface Emulator {
  child: Child;
  endpoint: string;
  counts(): Promise<Record<string, number>>;
  reset(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  const child = startChild("emulator", here("./emulator-process.ts"));
  const { endpoint } = await child.message<{ endpoint: string }>("ready", 60_000);
  return {
    child,
    endpoint,
    async counts() {
      child.send({ type: "counts" });
      return (await child.message<{ counts: Record<string, number> }>("counts", 10_000)).counts;
    },
    async reset() {
      child.send({ type: "reset" });
      await child.message("reset-done", 10_000);
    },
  };
}

/** A running system under test: its processes, and how to start order `i` on it. */
export interface SystemUnderTest {
  children: Child[];
  /** The orchestrators' base URLs (Sagaworks only). */
  orchestratorUrls?: readonly string[];
  /**
   * SIGKILLs the process of this name and starts it again with the same environment and port
   * (separate processes only); resolves once the new one answers `/ready`.
   */
  restart?(name: string): Promise<void>;
  /** Starts order `i` (on orchestrator replica `replica`, by default `i`, modulo their number). */
  start(i: number, replica?: number): Promise<StartResult>;
  expected(i: number): string;
  events: EventWaiter;
  prefill?(rows: number): Promise<void>;
  stop(): Promise<void>;
}

async function seedEngine(customerUrl: string, accountUrl: string): Promise<void> {
  for (const id of customerIds)
    await openBenchCustomer(
      { customer: customerUrl, account: accountUrl },
      id,
      CREDIT_CENTS,
      serviceAuth,
    );
}

export async function startEngine(
  mode: "one" | "separate",
  emulator: Emulator,
  prefix: string,
  /** Processes of order and of account each (separate processes only). */
  participantReplicas = 1,
): Promise<SystemUnderTest> {
  const children: Child[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await child.stop();
  };
  try {
    let orchestratorUrls: string[];
    let customerUrl: string;
    let accountUrl: string;
    let prefill: (rows: number) => Promise<void>;
    let restart: ((name: string) => Promise<void>) | undefined;
    // The runner's SAGA_CHAIN_STEPS reaches them too, to measure chained steps on and off.
    const chainSteps: Record<string, string> =
      process.env.SAGA_CHAIN_STEPS === undefined
        ? {}
        : { SAGA_CHAIN_STEPS: process.env.SAGA_CHAIN_STEPS };
    // The runner's OTEL_* settings reach the Sagaworks processes, to measure tracing on and off.
    const otel = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[0].startsWith("OTEL_") && entry[1] !== undefined,
      ),
    );
    const common = {
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      AWS_ENDPOINT_URL: emulator.endpoint,
      SAGAWORKS_ENV_PREFIX: prefix,
      LOG_LEVEL: "warn",
      // A bench is a development setup: the processes create the topology and may run on PGlite.
      SAGAWORKS_ENV: "dev",
      SERVICE_WRITE_TOKEN: serviceToken,
      ...chainSteps,
      ...otel,
    };
    if (mode === "one") {
      const execArgv = [...countQueries];
      if (settings.cpuProfDir) {
        mkdirSync(settings.cpuProfDir, { recursive: true });
        execArgv.push("--cpu-prof", `--cpu-prof-dir=${settings.cpuProfDir}`);
      }
      const child = startChild("sagaworks (one process)", here("./system-process.ts"), {
        execArgv,
        env: {
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          BENCH_ENDPOINT: emulator.endpoint,
          BENCH_PREFIX: prefix,
          BENCH_SCHEMA_PREFIX: `${schemaPrefix}one_`,
          BENCH_API_TOKEN: apiToken,
          BENCH_SERVICE_TOKEN: serviceToken,
          ...chainSteps,
          ...otel,
        },
      });
      children.push(child);
      const ready = await child.message<{
        orchestratorUrls: string[];
        customerUrl: string;
        accountUrl: string;
      }>("ready", 240_000);
      ({ orchestratorUrls, customerUrl, accountUrl } = ready);
      prefill = async (rows) => {
        child.send({ type: "prefill", rows });
        const done = await child.message<{ error?: string; rows?: number }>(
          "prefill-done",
          600_000,
        );
        if (done.error)
          throw BenchErrors.create(BenchErrorCode.prefillFailed, `prefill failed: ${done.error}`);
        if (done.rows !== rows)
          throw BenchErrors.create(
            BenchErrorCode.prefillFailed,
            `prefill added ${done.rows} rows, not ${rows}`,
          );
      };
    } else {
      const wrapper = here("./service-wrapper.ts");
      const specs = new Map<string, { main: string; env: Record<string, string>; port: number }>();
      const mains = await deployableMains();
      const launch = (name: string) => {
        const spec = specs.get(name);
        if (!spec)
          throw BenchErrors.create(BenchErrorCode.processFailed, `no process named ${name}`);
        const child = startChild(name, wrapper, {
          execArgv: countQueries,
          args: [spec.main],
          env: { ...common, ...spec.env },
        });
        children.push(child);
        return child;
      };
      const service = async (
        name: string,
        main: string,
        env: Record<string, string>,
        port: number,
      ) => {
        specs.set(name, { main, env, port });
        const url = `http://127.0.0.1:${port}`;
        await waitReady(launch(name), url);
        return url;
      };
      restart = async (name) => {
        const index = children.findIndex((child) => child.name === name);
        const old = children[index];
        const spec = specs.get(name);
        if (!old || !spec)
          throw BenchErrors.create(BenchErrorCode.processFailed, `no process named ${name}`);
        children.splice(index, 1);
        old.process.kill("SIGKILL");
        await old.exited;
        await waitReady(launch(name), `http://127.0.0.1:${spec.port}`);
      };
      let port = await freePort();
      customerUrl = await service(
        "customer",
        mains.customer,
        {
          PORT: String(port),
          CUSTOMER_DB_SCHEMA: `${schemaPrefix}sep_customer`,
          CUSTOMER_SEED: "false",
        },
        port,
      );
      orchestratorUrls = [];
      const orchestratorSchema = `${schemaPrefix}sep_orchestrator`;
      // One after the other: the first one migrates the schema and applies the topology.
      for (const replica of [1, 2]) {
        port = await freePort();
        orchestratorUrls.push(
          await service(
            `orchestrator-${replica}`,
            mains.orchestrator,
            {
              ORCHESTRATOR_PORT: String(port),
              ORCHESTRATOR_DB_SCHEMA: orchestratorSchema,
              // Its default is found from the module's own path, which a bundle moves.
              SAGA_DEFINITIONS_DIR: repo("saga-definitions"),
              ORCHESTRATOR_API_TOKEN: apiToken,
              SERVICE_URLS: `customer=${customerUrl}`,
              // What startSystem gives the one-process orchestrator.
              REPLY_CONCURRENCY: "20",
            },
            port,
          ),
        );
      }
      // Replicas of a participant share its schema and queue, as pods of one deployment do;
      // the first is named after the service alone, the others get -2, -3….
      const replicaName = (service: string, replica: number) =>
        replica === 1 ? service : `${service}-${replica}`;
      accountUrl = "";
      for (let replica = 1; replica <= participantReplicas; replica++) {
        port = await freePort();
        const url = await service(
          replicaName("account", replica),
          mains.account,
          { PORT: String(port), ACCOUNT_DB_SCHEMA: `${schemaPrefix}sep_accounts` },
          port,
        );
        if (replica === 1) accountUrl = url;
      }
      for (let replica = 1; replica <= participantReplicas; replica++) {
        port = await freePort();
        await service(
          replicaName("order", replica),
          mains.order,
          { PORT: String(port), ORDER_DB_SCHEMA: `${schemaPrefix}sep_orders` },
          port,
        );
      }
      prefill = async (rows) => {
        const client = new pg.Client({ connectionString: databaseUrl });
        client.on("error", () => {}); // A failure surfaces as the query's rejection.
        await client.connect();
        try {
          await client.query(`SET search_path TO "${orchestratorSchema}"`);
          const result = await client.query(prefillSql(rows));
          if (result.rowCount !== rows)
            throw BenchErrors.create(
              BenchErrorCode.prefillFailed,
              `prefill added ${result.rowCount} rows, not ${rows}`,
            );
        } finally {
          await client.end();
        }
      };
    }
    await seedEngine(customerUrl, accountUrl);
    // The clients' queue, subscribed to the saga-events topic for terminal events only.
    const aws = clientAws(emulator.endpoint);
    const subscriber = "bench-client";
    const applied = await applyTopology(
      aws,
      deriveTopology({
        prefix,
        participants: ["order", "account"],
        eventSubscribers: [{ name: subscriber, filterPolicy: { name: [...TERMINAL_EVENTS] } }],
      }),
    );
    const queueUrl = applied.queueUrls[eventQueueName(prefix, subscriber)];
    if (!queueUrl)
      throw BenchErrors.create(
        BenchErrorCode.setupFailed,
        "the client's event queue was not created",
      );
    const events = new EventWaiter(aws.sqs, queueUrl, 2);
    const auth = { authorization: `Bearer ${apiToken}` };
    return {
      children,
      orchestratorUrls,
      ...(restart ? { restart } : {}),
      events,
      prefill,
      async start(i, replica = i) {
        const url = orchestratorUrls[replica % orchestratorUrls.length] as string;
        return startBenchSaga(url, customerOf(i), auth);
      },
      expected: (i) => (isUnknown(i) ? "saga.failed" : "saga.completed"),
      async stop() {
        await events.stop();
        aws.sqs.destroy();
        aws.sns.destroy();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startBaseline(
  mode: "one" | "separate",
  emulator: Emulator,
  prefix: string,
): Promise<SystemUnderTest> {
  const aws = clientAws(emulator.endpoint);
  const queue = async (name: string) =>
    (await aws.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-bl-${name}` }))).QueueUrl ??
    "";
  const queues: BaselineQueues = {
    account: await queue("account-commands"),
    orderReplies: await queue("order-replies"),
    clientEvents: await queue("client-events"),
  };
  const children: Child[] = [];
  const stopChildren = async () => {
    for (const child of children.reverse()) await child.stop();
  };
  try {
    const env = {
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      BENCH_ENDPOINT: emulator.endpoint,
      BENCH_QUEUES: JSON.stringify(queues),
      BENCH_SCHEMA: `${schemaPrefix}${mode}_baseline`,
      BENCH_SEED: JSON.stringify(customerIds),
      BENCH_CREDIT_CENTS: String(CREDIT_CENTS),
    };
    const part = async (name: string, roles: string, extra: Record<string, string> = {}) => {
      const execArgv = [...countQueries];
      // Profiled beside Sagaworks' process, so the two spend their time side by side.
      if (settings.cpuProfDir && mode === "one") {
        const dir = join(settings.cpuProfDir, "baseline");
        mkdirSync(dir, { recursive: true });
        execArgv.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
      }
      const child = startChild(name, here("./baseline-process.ts"), {
        execArgv,
        env: { ...env, ...extra, BENCH_ROLES: roles },
      });
      children.push(child);
      return child.message<{ customerUrl?: string; orderUrl?: string }>("ready", 120_000);
    };
    let orderUrl: string | undefined;
    if (mode === "one") {
      ({ orderUrl } = await part("baseline (one process)", "customer,order,account"));
    } else {
      const { customerUrl } = await part("baseline customer", "customer");
      ({ orderUrl } = await part("baseline order", "order", {
        BENCH_CUSTOMER_URL: customerUrl ?? "",
      }));
      await part("baseline account", "account");
    }
    if (!orderUrl)
      throw BenchErrors.create(
        BenchErrorCode.processFailed,
        "the baseline's order service reported no URL",
      );
    const events = new EventWaiter(aws.sqs, queues.clientEvents, 2);
    return {
      children,
      events,
      async start(i) {
        const answer = await postJson(`${orderUrl}/orders`, benchOrder(customerOf(i)));
        if (answer.status === 422) return { terminal: "order.refused" };
        if (answer.status !== 202)
          throw BenchErrors.create(
            BenchErrorCode.requestRefused,
            `order: ${answer.status} ${answer.text}`,
          );
        return { id: (JSON.parse(answer.text) as { orderId: string }).orderId };
      },
      expected: (i) => (isUnknown(i) ? "order.refused" : "order.approved"),
      async stop() {
        await events.stop();
        aws.sqs.destroy();
        aws.sns.destroy();
        await stopChildren();
      },
    };
  } catch (error) {
    await stopChildren();
    aws.sqs.destroy();
    aws.sns.destroy();
    throw error;
  }
}

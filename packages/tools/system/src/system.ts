// The whole back end in one process: the broker (embedded fauxqs unless an endpoint is given),
// the orchestrator, and the order, account and customer services, each with its own database
// (its own PGlite, or its own schema on DATABASE_URL). The demo and the end-to-end tests run it.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAccountService } from "@sagaworks/account-service";
import {
  createCustomerApp,
  prepareCustomerDatabase,
  seedCustomers,
} from "@sagaworks/customer-service";
import { type CommandKeys, DEV_COMMAND_KEY, RequestCounter } from "@sagaworks/messaging";
import {
  createOrchestrator,
  FolderArchive,
  loadDefinitions,
  type Orchestrator,
  type OrchestratorOptions,
  type OrchestratorRetention,
} from "@sagaworks/orchestrator";
import { startOrderService } from "@sagaworks/order-service";
import {
  type AwsClients,
  createAwsClients,
  createDatabase,
  createMetricsRegistry,
  type Database,
  type Logger,
  type MetricsRegistry,
  registerPoolMetrics,
  resolveBroker,
} from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { DEV_WRITE_TOKEN } from "@sagaworks/service-kit";
import { SystemErrorCode, SystemErrors } from "./errors.ts";

/** The repository's saga-definitions/ folder. */
export const definitionsDir = sagaDefinitionsDir;

/** Options of {@link startSystem}. */
export interface SystemOptions {
  logger: Logger;
  /** Real Postgres; unset (or empty) gives every service its own embedded PGlite. */
  databaseUrl?: string | undefined;
  /** SQS/SNS endpoint; unset (or empty) starts the embedded emulator. */
  awsEndpoint?: string | undefined;
  /** Queue and topic name prefix. */
  prefix: string;
  /** Schema name prefix on a shared Postgres, so runs and tests do not meet; default none. */
  schemaPrefix?: string | undefined;
  apiToken: string;
  /**
   * Write token of the order, account and customer services' APIs (reads stay open); defaults
   * to the development token, `DEV_WRITE_TOKEN`.
   */
  serviceToken?: string | undefined;
  /** Faster polling and shorter long polls, for tests; defaults to false. */
  fast?: boolean | undefined;
  /** Definitions to deploy instead of saga-definitions/ (tests with short timeouts). */
  definitions?: readonly CompiledSaga[] | undefined;
  /**
   * How the orchestrator prunes finished sagas; defaults to the production periods, archiving
   * to a folder under the temp dir (`sagaworks-saga-archive/<prefix>`).
   */
  retention?: OrchestratorRetention | undefined;
  /**
   * Readers of the lifecycle events topic, as the orchestrator's topology declares them; a
   * filter policy by event name keeps the events nobody reads from being published. Default none.
   */
  eventSubscribers?: OrchestratorOptions["eventSubscribers"];
  /** Tests only: the orchestrator's revision guard (see its `revisionGuard`); default off. */
  revisionGuard?: boolean | undefined;
  /**
   * Chained command steps (the orchestrator's `chainSteps`); on by default, as there.
   */
  chainSteps?: boolean | undefined;
}

/**
 * {@link SystemOptions} with every default applied. `databaseUrl` and `awsEndpoint` keep
 * undefined for "embedded", `definitions` for "load saga-definitions/" (which is asynchronous,
 * so it happens in {@link startSystem}).
 */
export interface ResolvedSystemOptions {
  logger: Logger;
  databaseUrl: string | undefined;
  awsEndpoint: string | undefined;
  prefix: string;
  schemaPrefix: string;
  apiToken: string;
  serviceToken: string;
  fast: boolean;
  definitions: readonly CompiledSaga[] | undefined;
  retention: OrchestratorRetention;
  eventSubscribers: NonNullable<OrchestratorOptions["eventSubscribers"]>;
  revisionGuard: boolean;
  chainSteps: boolean;
}

/**
 * Applies the defaults once; an explicit `undefined` means the default too, and an empty
 * database URL or endpoint (an unset variable passed on as "") means embedded.
 */
export function resolveSystemOptions(options: SystemOptions): ResolvedSystemOptions {
  return {
    logger: options.logger,
    databaseUrl: options.databaseUrl || undefined,
    awsEndpoint: options.awsEndpoint || undefined,
    prefix: options.prefix,
    schemaPrefix: options.schemaPrefix ?? "",
    apiToken: options.apiToken,
    serviceToken: options.serviceToken ?? DEV_WRITE_TOKEN,
    fast: options.fast ?? false,
    definitions: options.definitions,
    // The embedded default archives finished sagas to a folder before pruning them.
    retention: options.retention ?? {
      archive: new FolderArchive(join(tmpdir(), "sagaworks-saga-archive", options.prefix)),
    },
    eventSubscribers: options.eventSubscribers ?? [],
    revisionGuard: options.revisionGuard ?? false,
    chainSteps: options.chainSteps ?? true,
  };
}

/** A running system: where everything is, and how to stop it. */
export interface RunningSystem {
  orchestrator: Orchestrator;
  urls: { orchestrator: string; order: string; account: string; customer: string };
  databases: Record<"orchestrator" | "order" | "account" | "customer", Database>;
  /** The participant services, for tests that pause or restart one. */
  services: {
    order: Awaited<ReturnType<typeof startOrderService>>;
    account: Awaited<ReturnType<typeof startAccountService>>;
  };
  clients: AwsClients;
  /** Counts every SQS/SNS request of every part. */
  requests: RequestCounter;
  /** The one Prometheus registry of this process, served at every part's `/metrics`. */
  metrics: MetricsRegistry;
  broker: { kind: string; endpoint: string | undefined };
  /** Queue and topic name prefix. */
  prefix: string;
  /** The orchestrator API's bearer token. */
  apiToken: string;
  /** The services' write token. */
  serviceToken: string;
  /** The key that signs commands, shared by the orchestrator and the participants. */
  commandKeys: CommandKeys;
  stop(): Promise<void>;
}

/**
 * Starts everything, in dependency order: broker, orchestrator (it applies the topology the
 * definitions imply), customer, account (with an account per seed customer), order. Stops in
 * reverse: intake first, then in-flight work, then connections.
 */
export async function startSystem(input: SystemOptions): Promise<RunningSystem> {
  const options = resolveSystemOptions(input);
  const { logger, serviceToken } = options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.warn({ err: error }, "stopping a part failed");
      }
    }
  };
  try {
    const broker = await resolveBroker({
      AWS_ENDPOINT_URL: options.awsEndpoint,
      SAGAWORKS_BROKER: "embedded",
    });
    stops.push(() => broker.stop());
    const clients = createAwsClients({ endpoint: broker.endpoint });
    stops.push(async () => clients.destroy());
    const requests = new RequestCounter();
    requests.attach(clients.sqs, "SQS");
    requests.attach(clients.sns, "SNS");

    const open = async (name: string) => {
      const db = await createDatabase({
        databaseUrl: options.databaseUrl,
        schema: `${options.schemaPrefix}${name}`,
        logger,
        pool: { min: 0, max: 10 },
      });
      stops.push(() => db.close());
      return db;
    };
    // One after another: each embedded PGlite spends seconds compiling its WebAssembly, and
    // opening them together on two cores only makes each one slower.
    const databases = {
      orchestrator: await open("orchestrator"),
      customer: await open("customers"),
      account: await open("accounts"),
      order: await open("orders"),
    };

    const metrics = createMetricsRegistry({ process: "sagaworks" });
    registerPoolMetrics(metrics, databases.customer, "customer");
    await prepareCustomerDatabase(databases.customer);
    const customerApp = await createCustomerApp({
      db: databases.customer,
      logger,
      auth: { writeToken: serviceToken },
      metrics,
    });
    const customerUrl = await customerApp.listen({ port: 0, host: "127.0.0.1" });
    stops.push(() => customerApp.close());

    // One process, one key: the development key, as every embedded setup uses.
    const commandKeys: CommandKeys = { current: DEV_COMMAND_KEY };
    const definitions = options.definitions ?? (await loadDefinitions(definitionsDir));
    const orchestrator = await createOrchestrator({
      db: databases.orchestrator,
      clients,
      logger,
      definitions,
      prefix: options.prefix,
      serviceUrls: { customer: customerUrl },
      serviceToken,
      apiToken: options.apiToken,
      commandKeys,
      metrics,
      retention: options.retention,
      revisionGuard: options.revisionGuard,
      options: options.fast
        ? {
            replyWaitTimeSeconds: 1,
            timerPollIntervalMs: 100,
            relayPollIntervalMs: 200,
            replyConcurrency: 20,
            eventSubscribers: options.eventSubscribers,
            chainSteps: options.chainSteps,
          }
        : {
            replyConcurrency: 20,
            eventSubscribers: options.eventSubscribers,
            chainSteps: options.chainSteps,
          },
    });
    orchestrator.start();
    stops.push(() => orchestrator.stop());
    const orchestratorUrl = await orchestrator.api.listen({ port: 0, host: "127.0.0.1" });
    stops.push(() => orchestrator.api.close());

    const participantOptions = {
      sqs: clients.sqs,
      logger,
      prefix: options.prefix,
      auth: { writeToken: serviceToken },
      commandKeys,
      metrics,
      // Undefined: the participants' own default long poll.
      waitTimeSeconds: options.fast ? 1 : undefined,
    };
    const account = await startAccountService({ db: databases.account, ...participantOptions });
    stops.push(() => account.stop());
    const accountUrl = await account.app.listen({ port: 0, host: "127.0.0.1" });
    const order = await startOrderService({ db: databases.order, ...participantOptions });
    stops.push(() => order.stop());
    const orderUrl = await order.app.listen({ port: 0, host: "127.0.0.1" });

    // One account per seed customer, with the customer's credit limit. The customer service owns
    // customers; the account service learns about them only through its own API.
    for (const customer of seedCustomers) {
      const response = await fetch(`${accountUrl}/accounts`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${serviceToken}`,
        },
        body: JSON.stringify({
          customerId: customer.id,
          creditLimitCents: customer.creditLimitCents,
        }),
      });
      if (response.status !== 201 && response.status !== 409) {
        throw SystemErrors.create(
          SystemErrorCode.seedFailed,
          `opening the account of ${customer.id} failed: ${response.status} ${await response.text()}`,
        );
      }
    }

    return {
      orchestrator,
      urls: {
        orchestrator: orchestratorUrl,
        order: orderUrl,
        account: accountUrl,
        customer: customerUrl,
      },
      databases,
      services: { order, account },
      clients,
      requests,
      metrics,
      broker: { kind: broker.kind, endpoint: broker.endpoint },
      prefix: options.prefix,
      apiToken: options.apiToken,
      serviceToken,
      commandKeys,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

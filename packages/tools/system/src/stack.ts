// The whole back end as separate processes, the way it is deployed: one SQS/SNS emulator
// process (or LocalStack / AWS_ENDPOINT_URL), the topology applied once by `topology apply`, two
// orchestrator replicas (one without a shared Postgres), then customer, account and order, then
// the seed. Each child runs `node <main>` directly, in a process group of its own: a terminal's
// Ctrl-C reaches only the stack, which stops each child once, in order, with SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type DeployableName, deployable, deployableMain } from "@sagaworks/deployables";
import { SystemErrorCode, SystemErrors } from "./errors.ts";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Real Postgres shared by every process; unset gives each process its own PGlite (dev). */
  databaseUrl?: string | undefined;
  /** An SQS/SNS endpoint to use instead of starting the emulator process (LocalStack). */
  awsEndpoint?: string | undefined;
  /** Queue and topic prefix. */
  prefix: string;
  /**
   * First port: each service at its deployable port's distance from the orchestrator's
   * (orchestrator +0, order +1, account +2, customer +3), the second orchestrator replica +10,
   * the emulator +100.
   */
  portBase: number;
  /** Prefix of every Postgres schema, so several stacks can share one database. */
  schemaPrefix: string;
  apiToken: string;
  /** Bearer token of the services' writes (SERVICE_WRITE_TOKEN of order, account, customer). */
  serviceToken: string;
  /** Shared secret that signs commands (COMMAND_SIGNING_KEY of the orchestrator and participants). */
  commandSigningKey: string;
  /**
   * Each participant's own reply key (its REPLY_SIGNING_KEY; the orchestrator gets them all as
   * REPLY_SIGNING_KEYS).
   */
  replySigningKeys: { order: string; account: string };
  logLevel: string;
  maxReceiveCount: number;
  /** Where prefixed log lines go. */
  write: (line: string) => void;
  /** Rewrites each line of a child before its prefix (readable lines on a terminal); default: as is. */
  formatLine?: ((line: string) => string) | undefined;
  /** Aborting it during start-up (Ctrl-C) stops what has started and rejects. */
  signal?: AbortSignal;
}

/** A running stack. */
export interface RunningStack {
  urls: { orchestrators: string[]; order: string; account: string; customer: string };
  brokerEndpoint: string;
  /** Resolves when a process exits that was not asked to: its name. */
  unexpectedExit: Promise<string>;
  /** SIGTERM to every process, last started first, and waits for each to exit. */
  stop(): Promise<void>;
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts the stack in dependency order; on any failure, stops what started and throws. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const children: Child[] = [];
  const format = options.formatLine ?? ((line: string) => line);
  let stopping = false;
  // Children in their own groups outlive a stack that dies without stopping them; stop them on
  // any exit of this process (only SIGKILL escapes this).
  const stopOnExit = () => {
    for (const child of children) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill("SIGTERM");
      }
    }
  };
  process.once("exit", stopOnExit);
  let reportExit: (name: string) => void = () => {};
  const unexpectedExit = new Promise<string>((resolve) => {
    reportExit = resolve;
  });

  const launch = (
    name: string,
    main: string,
    env: Record<string, string>,
    args: string[] = [],
  ): Child => {
    const child = spawn(process.execPath, [`${root}${main}`, ...args], {
      cwd: root,
      // Its own process group: the terminal's SIGINT to the foreground group would otherwise
      // reach every child besides the stack's SIGTERM, and a second signal cuts a drain short.
      detached: true,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        // Tests ask every orchestrator, children included, to guard the saga revision.
        ...(process.env.SAGAWORKS_TEST_REVISION_GUARD
          ? { SAGAWORKS_TEST_REVISION_GUARD: process.env.SAGAWORKS_TEST_REVISION_GUARD }
          : {}),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = `[${name}]`.padEnd(16);
    for (const stream of [child.stdout, child.stderr]) {
      let rest = "";
      stream?.on("data", (chunk: Buffer) => {
        const parts = (rest + chunk.toString("utf8")).split("\n");
        rest = parts.pop() ?? "";
        for (const part of parts) {
          if (!part.trim()) continue;
          options.write(`${prefix} ${format(part)}`);
        }
      });
    }
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const entry = { name, process: child, exited };
    children.push(entry);
    void exited.then((code) => {
      if (!stopping && name !== "topology") {
        options.write(`${prefix} exited with ${code}`);
        reportExit(name);
      }
    });
    return entry;
  };

  // Ready means its /ready answers 200 (the emulator: any HTTP answer), whatever LOG_LEVEL hides.
  const ready = async (child: Child, address: string, path = "/ready"): Promise<string> => {
    let closed = false;
    void child.exited.then(() => {
      closed = true;
    });
    for (;;) {
      if (closed) {
        throw SystemErrors.create(
          SystemErrorCode.processExited,
          `${child.name} exited before it was ready; see its log above`,
        );
      }
      options.signal?.throwIfAborted();
      try {
        const response = await fetch(`${address}${path}`);
        if (path === "" || response.ok) return address;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const stop = async () => {
    stopping = true;
    for (const child of children.splice(0).reverse()) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill("SIGTERM");
      }
      await child.exited;
    }
  };

  try {
    const port = (offset: number) => String(options.portBase + offset);
    // The deployables' own ports, moved to the stack's base: a stack on base 3000 listens where
    // each image does.
    const servicePort = (name: DeployableName) =>
      port(deployable(name).port - deployable("orchestrator").port);
    let brokerEndpoint = options.awsEndpoint;
    if (!brokerEndpoint) {
      const emulator = launch("emulator", "packages/tools/system/src/emulator-main.ts", {
        EMULATOR_PORT: port(100),
      });
      brokerEndpoint = await ready(emulator, `http://127.0.0.1:${port(100)}`, "");
    }
    // Development without a shared Postgres: each process gets its own PGlite. With one, the
    // processes run on the production defaults (SAGAWORKS_ENV unset).
    const common: Record<string, string> = {
      AWS_ENDPOINT_URL: brokerEndpoint,
      SAGAWORKS_ENV_PREFIX: options.prefix,
      // `topology apply` below owns the queues, as infra/ does in AWS: no process creates any.
      SAGAWORKS_APPLY_TOPOLOGY: "false",
      MAX_RECEIVE_COUNT: String(options.maxReceiveCount),
      LOG_LEVEL: options.logLevel,
      // Set even in dev, so the stack runs exactly as a deployment would configure it.
      SERVICE_WRITE_TOKEN: options.serviceToken,
      COMMAND_SIGNING_KEY: options.commandSigningKey,
      // A child's environment: an unset variable must be absent, not the text "undefined".
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { SAGAWORKS_ENV: "dev" }),
    };
    const topology = launch("topology", "packages/libraries/topology/src/cli.ts", common, [
      "apply",
    ]);
    const applied = await topology.exited;
    options.signal?.throwIfAborted();
    if (applied !== 0) {
      throw SystemErrors.create(
        SystemErrorCode.topologyApplyFailed,
        `topology apply failed with exit code ${applied}`,
      );
    }

    const customerPort = servicePort("customer");
    // The orchestrator is the base itself; its second replica sits 10 above.
    const replicas = options.databaseUrl ? [0, 10] : [0];
    const orchestrators: string[] = [];
    for (const [index, offset] of replicas.entries()) {
      const child = launch(`orchestrator-${index + 1}`, deployableMain("orchestrator"), {
        ...common,
        ORCHESTRATOR_PORT: port(offset),
        ORCHESTRATOR_DB_SCHEMA: `${options.schemaPrefix}orchestrator`,
        ORCHESTRATOR_API_TOKEN: options.apiToken,
        SERVICE_URLS: `customer=http://127.0.0.1:${customerPort}`,
        REPLY_SIGNING_KEYS: `order=${options.replySigningKeys.order},account=${options.replySigningKeys.account}`,
      });
      orchestrators.push(await ready(child, `http://127.0.0.1:${port(offset)}`));
    }
    const accountPort = servicePort("account");
    const orderPort = servicePort("order");
    const customer = await ready(
      launch("customer", deployableMain("customer"), {
        ...common,
        PORT: customerPort,
        CUSTOMER_DB_SCHEMA: `${options.schemaPrefix}customer`,
      }),
      `http://127.0.0.1:${customerPort}`,
    );
    const account = await ready(
      launch("account", deployableMain("account"), {
        ...common,
        PORT: accountPort,
        ACCOUNT_DB_SCHEMA: `${options.schemaPrefix}accounts`,
        REPLY_SIGNING_KEY: options.replySigningKeys.account,
      }),
      `http://127.0.0.1:${accountPort}`,
    );
    const order = await ready(
      launch("order", deployableMain("order"), {
        ...common,
        PORT: orderPort,
        ORDER_DB_SCHEMA: `${options.schemaPrefix}orders`,
        REPLY_SIGNING_KEY: options.replySigningKeys.order,
      }),
      `http://127.0.0.1:${orderPort}`,
    );
    return {
      urls: { orchestrators, order, account, customer },
      brokerEndpoint,
      unexpectedExit,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

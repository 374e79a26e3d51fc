// Processes started while their database or broker is down: each one is live at once, not ready
// (saying what it waits for), waits the outage out instead of exiting, and becomes ready on its
// own when the dependency answers; then a saga runs through all of them. What waiting cannot fix
// ends the process with a message that names it. Every process is the real `main` as operators
// run it; the outage is a proxy the test controls (a TCP proxy before Postgres, an HTTP proxy
// answering 503 before the emulator). Several processes share one database, so this needs real
// Postgres (CI sets DATABASE_URL); without it the suite is reported as skipped.
import { waitFor } from "@sagaworks/messaging/testing";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { DEV_WRITE_TOKEN } from "@sagaworks/service-kit";
import type { ServiceProcess } from "@sagaworks/service-kit/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { deployableRunners } from "./e2e.fixtures.ts";
import { type HttpProxy, startHttpProxy, startTcpProxy, type TcpProxy } from "./outage-proxies.ts";

const runners = deployableRunners();
type App = keyof typeof runners;
const API_TOKEN = "outage-test-api-token-0123456789";
const proxies: (TcpProxy | HttpProxy)[] = [];
afterEach(async () => {
  for (const runner of Object.values(runners)) await runner.cleanup();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

/** DATABASE_URL with its host and port replaced by the proxy's. */
function throughProxy(port: number): string {
  const url = new URL(process.env.DATABASE_URL ?? "");
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
}

/** The address of the `<name> live` line: the port the process keeps once ready. */
async function liveAddress(started: ServiceProcess, name: string): Promise<string> {
  return waitFor(
    () => {
      const line = started.lines.find(
        (entry) => typeof entry.msg === "string" && entry.msg.startsWith(`${name} live`),
      );
      return typeof line?.address === "string" ? line.address : undefined;
    },
    { timeoutMs: 60_000, description: `the "${name} live" line` },
  );
}

async function readiness(
  address: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${address}/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface Started {
  name: App;
  process: ServiceProcess;
  address: string;
}

/** Starts the four apps with a shared environment on top of each one's own. */
async function startAll(
  test: string,
  env: { databaseUrl: (app: App) => string; brokerEndpoint: string; prefix: string },
): Promise<Record<App, Started>> {
  const common = (app: App) => ({
    DATABASE_URL: env.databaseUrl(app),
    AWS_ENDPOINT_URL: env.brokerEndpoint,
    SAGAWORKS_ENV_PREFIX: env.prefix,
    LOG_LEVEL: "info",
  });
  const start = async (app: App, own: Record<string, string>): Promise<Started> => {
    const process = runners[app].run({ ...common(app), ...own });
    return { name: app, process, address: await liveAddress(process, app) };
  };
  const customer = await start("customer", {
    PORT: "0",
    CUSTOMER_DB_SCHEMA: await runners.customer.schema(`${test} customer`),
  });
  const orchestrator = await start("orchestrator", {
    ORCHESTRATOR_PORT: "0",
    ORCHESTRATOR_DB_SCHEMA: await runners.orchestrator.schema(`${test} orchestrator`),
    ORCHESTRATOR_API_TOKEN: API_TOKEN,
    SERVICE_URLS: `customer=${customer.address}`,
  });
  const order = await start("order", {
    PORT: "0",
    ORDER_DB_SCHEMA: await runners.order.schema(`${test} order`),
  });
  const account = await start("account", {
    PORT: "0",
    ACCOUNT_DB_SCHEMA: await runners.account.schema(`${test} account`),
  });
  return { customer, orchestrator, order, account };
}

/** Live and not ready, naming `dependency`, with a log line per attempt giving the next delay. */
async function expectWaiting(app: Started, dependency: string, reason: string): Promise<void> {
  const health = await fetch(`${app.address}/health`);
  expect(health.status).toBe(200);
  const waiting = await waitFor(
    async () => {
      const ready = await readiness(app.address);
      return ready.body.dependency === dependency && ready.body.reason === reason
        ? ready
        : undefined;
    },
    { timeoutMs: 60_000, description: `${app.name} waiting for its ${dependency} (${reason})` },
  );
  expect(waiting.status).toBe(503);
  expect(waiting.body).toMatchObject({ status: `waiting for ${dependency}`, reason });
  // /ready can name the reason a moment before the process's log line reaches this test.
  const attempt = await waitFor(
    async () =>
      app.process.lines.find(
        (line) =>
          line.dependency === dependency &&
          line.reason === reason &&
          typeof line.retryInMs === "number",
      ),
    { timeoutMs: 30_000, description: `${app.name}'s log line for its ${dependency} (${reason})` },
  );
  expect(attempt?.msg).toMatch(
    new RegExp(`^${dependency} not available .* retrying in [0-9.]+ s$`),
  );
  expect(app.process.child.exitCode).toBeNull();
}

/**
 * A running process that loses `dependency` stays up, answers `/ready` 503 naming it and the
 * short cause, and is ready again once it answers, without a restart.
 */
async function expectLostThenBack(
  apps: readonly Started[],
  dependency: string,
  reason: string,
  restore: () => Promise<void> | void,
): Promise<void> {
  for (const app of apps) {
    const lost = await waitFor(
      async () => {
        const ready = await readiness(app.address);
        // A pooled connection cut mid-way reads "closed" first; the next ones see `reason`.
        return ready.body.dependency === dependency && ready.body.reason === reason
          ? ready
          : undefined;
      },
      // The queue probe looks every 5 s; the database is checked on each call.
      { timeoutMs: 30_000, description: `${app.name} /ready naming its lost ${dependency}` },
    );
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({ status: `${dependency} unreachable`, reason });
    expect(typeof lost.body.since).toBe(dependency === "broker" ? "string" : "undefined");
  }
  await restore();
  for (const app of apps) {
    await waitFor(async () => (await readiness(app.address)).status === 200, {
      timeoutMs: 30_000,
      description: `${app.name} /ready 200 again`,
    });
    expect(app.process.child.exitCode).toBeNull();
  }
}

/** Ready without a restart (same process, same address), then a create-order saga completes. */
async function expectRecovered(apps: Record<App, Started>): Promise<void> {
  for (const app of Object.values(apps)) {
    expect(await app.process.ready(app.name, 90_000)).toBe(app.address);
    await waitFor(async () => (await readiness(app.address)).status === 200, {
      timeoutMs: 30_000,
      description: `${app.name} /ready 200`,
    });
  }
  const opened = await fetch(`${apps.account.address}/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${DEV_WRITE_TOKEN}` },
    body: JSON.stringify({ customerId: "cust-ada", creditLimitCents: 100_000 }),
  });
  expect(opened.status).toBe(201);
  const auth = { authorization: `Bearer ${API_TOKEN}` };
  const started = await fetch(`${apps.orchestrator.address}/sagas/create-order`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({
      input: {
        customerId: "cust-ada",
        items: [{ sku: "sku-outage", quantity: 1, unitPriceCents: 2_500 }],
        totalCents: 2_500,
      },
    }),
  });
  expect(started.status).toBe(201);
  const { sagaId } = (await started.json()) as { sagaId: string };
  const status = await waitFor(
    async () => {
      const saga = (await (
        await fetch(`${apps.orchestrator.address}/sagas/${sagaId}`, { headers: auth })
      ).json()) as { status: string };
      return ["completed", "compensated", "failed", "needs-intervention"].includes(saga.status)
        ? saga.status
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, description: "the saga's end" },
  );
  expect(status).toBe("completed");
  for (const app of Object.values(apps)) expect(app.process.child.exitCode).toBeNull();
}

describe.runIf(process.env.DATABASE_URL)(
  "processes started during an outage (real Postgres)",
  () => {
    it("wait while the database refuses or drops connections, then become ready and run a saga", {
      timeout: 240_000,
    }, async () => {
      const target = new URL(process.env.DATABASE_URL ?? "");
      const database = await startTcpProxy(
        { host: target.hostname, port: Number(target.port || 5432) },
        "refuse",
      );
      proxies.push(database);
      // The schemas are created by the runners (directly); the processes reach them through the proxy.
      const apps = await startAll("db outage", {
        databaseUrl: () => throughProxy(database.port),
        brokerEndpoint: inject("brokerEndpoint"),
        prefix: uniqueTestName("db outage", 24),
      });
      for (const app of Object.values(apps))
        await expectWaiting(app, "database", "connection refused");
      // A server that accepts and closes at once (a failover's half-open moment) is waited out too.
      await database.set("drop");
      await expectWaiting(apps.customer, "database", "database connection closed");
      await database.set("forward");
      await expectRecovered(apps);
      // Lost while running: /ready names it too, not only at start-up.
      await database.set("refuse");
      await expectLostThenBack(Object.values(apps), "database", "connection refused", () =>
        database.set("forward"),
      );
    });

    it("wait while the broker answers 503, then become ready and run a saga", {
      timeout: 240_000,
    }, async () => {
      const broker = await startHttpProxy(inject("brokerEndpoint"), "unavailable");
      proxies.push(broker);
      const apps = await startAll("broker outage", {
        databaseUrl: () => process.env.DATABASE_URL ?? "",
        brokerEndpoint: broker.endpoint,
        prefix: uniqueTestName("broker outage", 24),
      });
      for (const app of [apps.orchestrator, apps.order, apps.account]) {
        await expectWaiting(app, "broker", "broker answered 503");
      }
      expect(broker.refused()).toBeGreaterThan(0);
      broker.set("forward");
      await expectRecovered(apps);
      // Lost while running: /ready names it too, not only at start-up.
      broker.set("unavailable");
      await expectLostThenBack(
        [apps.orchestrator, apps.order, apps.account],
        "broker",
        "broker answered 503",
        () => broker.set("forward"),
      );
    });

    it("exit at once, naming the cause, on what waiting cannot fix", {
      timeout: 120_000,
    }, async () => {
      const fatalOf = async (started: ServiceProcess) => {
        expect(await started.exited).toBe(1);
        const fatal = started.lines.find((line) => line.level === 60) as {
          err: { message: string };
        };
        expect(started.lines.some((line) => typeof line.retryInMs === "number")).toBe(false);
        return fatal.err.message;
      };
      const prefix = uniqueTestName("permanent", 24);
      // The broker answers, and says the queue does not exist: the topology was never applied.
      const order = runners.order.run({
        PORT: "0",
        DATABASE_URL: process.env.DATABASE_URL ?? "",
        ORDER_DB_SCHEMA: await runners.order.schema("permanent order"),
        AWS_ENDPOINT_URL: inject("brokerEndpoint"),
        SAGAWORKS_ENV_PREFIX: prefix,
        SAGAWORKS_APPLY_TOPOLOGY: "false",
      });
      expect(await fatalOf(order)).toContain(
        `The command queue ${prefix}-order-commands does not exist`,
      );
      const orchestrator = runners.orchestrator.run({
        ORCHESTRATOR_PORT: "0",
        DATABASE_URL: process.env.DATABASE_URL ?? "",
        ORCHESTRATOR_DB_SCHEMA: await runners.orchestrator.schema("permanent orchestrator"),
        ORCHESTRATOR_API_TOKEN: API_TOKEN,
        AWS_ENDPOINT_URL: inject("brokerEndpoint"),
        SAGAWORKS_ENV_PREFIX: prefix,
        SAGAWORKS_APPLY_TOPOLOGY: "false",
      });
      expect(await fatalOf(orchestrator)).toContain(`The topology "${prefix}" is not in place`);
      // The database answers, and refuses the user.
      const refused = new URL(process.env.DATABASE_URL ?? "");
      refused.username = "no_such_role_outage";
      const customer = runners.customer.run({
        PORT: "0",
        DATABASE_URL: refused.toString(),
        CUSTOMER_DB_SCHEMA: "outage_refused",
      });
      const message = await fatalOf(customer);
      expect(message).toContain("Could not open the database");
      expect(message).toContain("no_such_role_outage");
      expect(message).not.toContain("embedded Postgres");
    });
  },
);

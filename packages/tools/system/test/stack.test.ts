// `npm run stack` as a user runs it: separate processes in dependency order, the seed, sagas
// through both orchestrator replicas, and Ctrl-C (SIGINT) stopping everything.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createDatabase } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const databaseUrl = process.env.DATABASE_URL;
const token = "stack-test-token-0123456789";
const serviceToken = "stack-test-service-token-0123456789";
const prefix = uniqueTestName("stack", 24);
const schemaPrefix = `${prefix.replace(/-/g, "_")}_`;
const portBase = randomInt(20_000, 40_000);

const children: ChildProcess[] = [];
afterAll(async () => {
  // A stack left running by a failed test: SIGTERM lets it stop its children (each in a process
  // group of its own) before it exits.
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const gone = new Promise((resolve) => child.once("close", resolve));
      process.kill(-child.pid, "SIGTERM");
      await gone;
    }
  }
  if (databaseUrl) {
    const db = await createDatabase({ databaseUrl, pool: { min: 0, max: 1 } });
    for (const schema of ["orchestrator", "customer", "accounts", "orders"]) {
      await db.knex.raw("DROP SCHEMA IF EXISTS ?? CASCADE", [`${schemaPrefix}${schema}`]);
    }
    await db.close();
  }
});

interface Ready {
  orchestrators: string[];
  account: string;
  customer: string;
  order: string;
}

/**
 * `npm run stack` without npm: the bootstrap, pnpm and the stack, in a process group of their
 * own as a terminal starts a foreground job, so that a signal to the group is a Ctrl-C.
 */
function startStackProcess() {
  const child = spawn(process.execPath, [`${root}scripts/bootstrap.mjs`, "stack:run"], {
    cwd: root,
    detached: true,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      STACK_PORT_BASE: String(portBase),
      SAGAWORKS_ENV_PREFIX: prefix,
      STACK_SCHEMA_PREFIX: schemaPrefix,
      ORCHESTRATOR_API_TOKEN: token,
      SERVICE_WRITE_TOKEN: serviceToken,
      // info: every service's "shut down" line shows that each one stopped in order.
      LOG_LEVEL: "info",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const output: string[] = [];
  let rest = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    output.push(...parts);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const ready = async (): Promise<Ready> => {
    let closed = false;
    void exited.then(() => {
      closed = true;
    });
    for (;;) {
      const line = output.find((entry) => entry.includes('"msg":"stack ready"'));
      if (line) return JSON.parse(line) as Ready;
      if (closed) throw new Error(`the stack exited before it was ready:\n${output.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, output, exited, ready };
}

async function startSaga(api: string, input: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${api}/sagas/create-order`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

async function terminalStatus(api: string, sagaId: string): Promise<string> {
  for (;;) {
    const response = await fetch(`${api}/sagas/${sagaId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const view = (await response.json()) as { snapshot: { status: string } };
    if (["completed", "compensated", "failed"].includes(view.snapshot.status)) {
      return view.snapshot.status;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const order = (customerId: string, totalCents: number) => ({
  customerId,
  items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
  totalCents,
});

describe("npm run stack", () => {
  it("runs sagas to completion across separate processes, seeds idempotently, and stops on Ctrl-C", async () => {
    const stack = startStackProcess();
    const urls = await stack.ready();
    // Two replicas share a real Postgres; without one, each process has its own PGlite.
    expect(urls.orchestrators).toHaveLength(databaseUrl ? 2 : 1);
    expect(stack.output.join("\n")).toContain("topology applied");

    const sagas = await Promise.all([
      ...urls.orchestrators.map((api) => startSaga(api, order("cust-ada", 1_500))),
      startSaga(urls.orchestrators.at(-1) ?? "", order("cust-grace", 2_500)),
      // Over cust-alan's 25,000 limit: the credit reservation fails and the order is undone.
      startSaga(urls.orchestrators[0] ?? "", order("cust-alan", 90_000)),
    ]);
    const statuses = await Promise.all(
      sagas.map((id) => terminalStatus(urls.orchestrators[0] ?? "", id)),
    );
    expect(statuses).toEqual([
      ...urls.orchestrators.map(() => "completed"),
      "completed",
      "compensated",
    ]);
    const approved = await fetch(`${urls.order}/orders/${sagas[0]}`);
    expect(((await approved.json()) as { status: string }).status).toBe("APPROVED");

    // The seed command, run again by hand, finds everything in place.
    const seed = spawnSync(process.execPath, [`${root}packages/tools/system/src/seed-main.ts`], {
      env: {
        PATH: process.env.PATH ?? "",
        CUSTOMER_URL: urls.customer,
        ACCOUNT_URL: urls.account,
        SERVICE_WRITE_TOKEN: serviceToken,
      },
      encoding: "utf8",
    });
    expect(seed.status, seed.stderr).toBe(0);
    expect(seed.stdout).toMatch(
      /customers 0 created, 5 already there; accounts 0 created, 5 already there/,
    );

    // The stack's own seed found the customers the customer service seeds at start-up.
    const log = stack.output.join("\n");
    expect(log).toMatch(/seeded: customers 0 created, 5 already there; accounts 5 created/);
    // What ops needs, to paste into another terminal.
    expect(log).toContain(`export ORCHESTRATOR_URL=${urls.orchestrators[0]}`);
    expect(log).toContain(`export ORCHESTRATOR_API_TOKEN=${token}`);
    expect(log).toMatch(/export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+/);
    // No request logs at info: they would bury the rest.
    expect(log).not.toContain("incoming request");

    // Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group.
    process.kill(-(stack.child.pid ?? 0), "SIGINT");
    const exit = await stack.exited;
    // pnpm re-raises the SIGINT its script got, and the bootstrap ends the same way.
    expect(exit.code === 0 || exit.signal === "SIGINT", JSON.stringify(exit)).toBe(true);
    const lines = stack.output;
    const stopped = lines.findIndex((line) => line.includes("[stack]          stopped"));
    expect(stopped, lines.join("\n")).toBeGreaterThan(0);
    const services = [
      ...urls.orchestrators.map((_, index) => `orchestrator-${index + 1}`),
      "customer",
      "account",
      "order",
    ];
    for (const name of services) {
      const shutDown = lines.findIndex(
        (line) => line.startsWith(`[${name}]`) && line.includes('"shut down"'),
      );
      // Each service drained and said so, before the stack said it had stopped.
      expect(shutDown, `${name} shut down`).toBeGreaterThan(0);
      expect(shutDown).toBeLessThan(stopped);
    }
    // One signal each: no service cut its drain short.
    expect(lines.join("\n")).not.toMatch(/second signal/);
    // Every service is gone: nothing answers on their ports any more.
    for (const url of [...urls.orchestrators, urls.order, urls.account, urls.customer]) {
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    }
  }, 300_000);
});

describe("the production defaults", () => {
  it("a service started with no environment refuses, naming the database and the broker to set", () => {
    const result = spawnSync(process.execPath, [`${root}packages/services/order/src/main.ts`], {
      env: { PATH: process.env.PATH ?? "" },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    const fatal = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as {
      err: { message: string };
    };
    expect(fatal.err.message).toContain("DATABASE_URL: is required outside development");
    expect(fatal.err.message).toContain("AWS_ENDPOINT_URL: no broker is named");
  });
});

// What a process start costs: CPU time from `node` to answering `/ready`, per deployable, started
// exactly as the chaos benchmark restarts them (the service's own main through
// service-wrapper.ts, the emulator in its own process, Postgres at DATABASE_URL). Under kills a
// restart's CPU decides how long a replica is missing on a busy machine, so this is the number
// to cut. A benchmark, not a test: nothing here asserts a time.
//
//   npm run bench -- startup [--starts 5] [--only order,orchestrator] [--cpu-prof DIR]
//
// Each deployable starts once unmeasured (migrations, topology), then `--starts` times measured:
// CPU (user + system, /proc) and wall time when `/ready` first answers 200, then SIGKILL, as a
// crash would end it. With `--cpu-prof DIR` the measured starts are stopped by SIGTERM instead,
// so that node writes its profile (the profile then includes the graceful stop, which is small).
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import type { DeployableName } from "@sagaworks/deployables";
import { type Child, cpuMsOf, startChild, stopAll } from "./children.ts";
import { dropRunSchemas } from "./run-schemas.ts";
import {
  databaseUrl as configuredDatabase,
  here,
  repo,
  runId,
  schemaPrefix,
  settings,
} from "./settings.ts";
import { deployableMains, startEmulator } from "./systems.ts";

const starts = settings.starts;
const names = settings.only as DeployableName[];
for (const name of names) {
  if (!["orchestrator", "order", "account", "customer"].includes(name)) {
    process.stderr.write(`bench: unknown deployable "${name}" in --only\n`);
    process.exit(2);
  }
}
const cpuProfDir = settings.cpuProfDir;
const databaseUrl = configuredDatabase;
if (!databaseUrl) {
  process.stderr.write("bench: startup needs DATABASE_URL (real Postgres, as deployed)\n");
  process.exit(2);
}
const prefix = `bench-${runId}-st`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Polls `/ready` every 10 ms; resolves with the CPU ms of the child the moment it answers. */
async function untilReady(child: Child, url: string): Promise<number> {
  let exit: string | undefined;
  void child.exited.then((text) => {
    exit = text;
  });
  const until = Date.now() + 120_000;
  for (;;) {
    if (exit) throw new Error(`${child.name} ended (${exit}) before it was ready`);
    try {
      const response = await fetch(`${url}/ready`);
      await response.arrayBuffer();
      if (response.ok) {
        const cpu = cpuMsOf(child.pid);
        if (cpu === undefined) throw new Error("no /proc: CPU time cannot be read here");
        return cpu;
      }
    } catch (error) {
      if ((error as Error).message.startsWith("no /proc")) throw error;
    }
    if (Date.now() > until) throw new Error(`${child.name} was not ready within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function envOf(name: DeployableName, port: number, endpoint: string): Record<string, string> {
  // The chaos benchmark's environment (systems.ts), so the numbers are those of its restarts.
  const common = {
    DATABASE_URL: databaseUrl as string,
    AWS_ENDPOINT_URL: endpoint,
    SAGAWORKS_ENV_PREFIX: prefix,
    LOG_LEVEL: "warn",
    SAGAWORKS_ENV: "dev",
    SERVICE_WRITE_TOKEN: "bench-service-token-0123456789",
  };
  switch (name) {
    case "orchestrator":
      return {
        ...common,
        ORCHESTRATOR_PORT: String(port),
        ORCHESTRATOR_DB_SCHEMA: `${schemaPrefix}orchestrator`,
        ORCHESTRATOR_API_TOKEN: "bench-token-0123456789",
        SAGA_DEFINITIONS_DIR: repo("saga-definitions"),
        SERVICE_URLS: "customer=http://127.0.0.1:9",
        REPLY_CONCURRENCY: "20",
      };
    case "order":
      return { ...common, PORT: String(port), ORDER_DB_SCHEMA: `${schemaPrefix}orders` };
    case "account":
      return { ...common, PORT: String(port), ACCOUNT_DB_SCHEMA: `${schemaPrefix}accounts` };
    case "customer":
      return {
        ...common,
        PORT: String(port),
        CUSTOMER_DB_SCHEMA: `${schemaPrefix}customer`,
        CUSTOMER_SEED: "false",
      };
  }
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as number;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number };
};

const mains = await deployableMains();
const loadBefore = loadavg();
const emulator = await startEmulator();
const rows: string[] = [];
try {
  for (const name of names) {
    const port = await freePort();
    const launch = (profile: boolean) =>
      startChild(name, here("./service-wrapper.ts"), {
        args: [mains[name]],
        env: envOf(name, port, emulator.endpoint),
        execArgv: profile
          ? [
              "--cpu-prof",
              `--cpu-prof-dir=${cpuProfDir}`,
              `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
            ]
          : [],
      });
    const url = `http://127.0.0.1:${port}`;
    // The first start migrates its schema and applies the topology; later ones find them done.
    const first = launch(false);
    await untilReady(first, url);
    await first.stop();
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < starts; i++) {
      const began = Date.now();
      const child = launch(cpuProfDir !== undefined);
      cpu.push(await untilReady(child, url));
      wall.push(Date.now() - began);
      if (cpuProfDir) await child.stop();
      else {
        child.process.kill("SIGKILL");
        await child.exited;
      }
    }
    const c = stats(cpu);
    const w = stats(wall);
    rows.push(
      `| ${name} | ${starts} | ${c.median.toFixed(0)} ms | ${c.min.toFixed(0)}–${c.max.toFixed(0)} ms | ${w.median.toFixed(0)} ms | ${w.min.toFixed(0)}–${w.max.toFixed(0)} ms |`,
    );
    process.stderr.write(`bench: ${name}: CPU ${cpu.join(", ")} ms; wall ${wall.join(", ")} ms\n`);
  }
} finally {
  await stopAll();
  await dropRunSchemas();
}
const loadAfter = loadavg();
process.stdout.write(
  [
    `Start to ready: \`npm run bench -- startup --starts ${starts} --start-from ${settings.startFrom}\` (each deployable as the chaos benchmark restarts it; Node ${process.version}, ${cpus().length} CPUs; load average before ${loadBefore.map((v) => v.toFixed(1)).join(", ")}, after ${loadAfter.map((v) => v.toFixed(1)).join(", ")}).`,
    "",
    "| deployable | starts | CPU to /ready, median | CPU min–max | wall to /ready, median | wall min–max |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n"),
);
process.exit(0);

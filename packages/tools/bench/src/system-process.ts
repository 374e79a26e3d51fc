// The whole Sagaworks back end in one process (orchestrator, order, account and customer
// services, as `startSystem` wires them), against an external emulator and Postgres. Started by
// the runner; reports its URLs over IPC and stops (writing a `--cpu-prof` profile) when told to
// or when the runner goes away.
//
// Environment: BENCH_ENDPOINT, BENCH_PREFIX, BENCH_SCHEMA_PREFIX, BENCH_API_TOKEN, DATABASE_URL.

import { silentLogger, startTracing } from "@sagaworks/platform";
import { type RunningSystem, startSystem } from "@sagaworks/system";
import { exitWithParent } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";
import { prefillSql } from "./prefill.ts";
import { TERMINAL_EVENTS } from "./terminal-events.ts";

const need = (name: string) => {
  const value = process.env[name];
  if (!value) throw BenchErrors.create(BenchErrorCode.usage, `${name} is not set`);
  return value;
};

// Tracing as a deployed process has it: on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
const tracing = startTracing({ serviceName: "sagaworks-bench" });
// Registered before the (slow) start, so a runner that dies meanwhile leaves nothing behind.
let system: RunningSystem | undefined;
exitWithParent(async () => {
  await system?.stop();
  await tracing?.shutdown();
});
system = await startSystem({
  logger: silentLogger(),
  databaseUrl: process.env.DATABASE_URL || undefined,
  awsEndpoint: need("BENCH_ENDPOINT"),
  prefix: need("BENCH_PREFIX"),
  schemaPrefix: process.env.BENCH_SCHEMA_PREFIX ?? "",
  apiToken: need("BENCH_API_TOKEN"),
  serviceToken: need("BENCH_SERVICE_TOKEN"),
  // The runner's event queue, as it subscribes it: the orchestrator publishes what it reads.
  eventSubscribers: [{ name: "bench-client", filterPolicy: { name: [...TERMINAL_EVENTS] } }],
  // As the orchestrator's own process reads it, so chained steps can be measured on and off.
  chainSteps: process.env.SAGA_CHAIN_STEPS !== "false",
});
process.on("message", (message: { type?: string; rows?: number }) => {
  if (message.type !== "prefill") return;
  void (system as RunningSystem).databases.orchestrator.knex
    .raw(prefillSql(message.rows ?? 0))
    .then(
      (result: { rowCount?: number }) =>
        process.send?.({ type: "prefill-done", rows: result.rowCount ?? 0 }),
      (error: unknown) => process.send?.({ type: "prefill-done", error: String(error) }),
    );
});
const running = system;
process.send?.({
  type: "ready",
  orchestratorUrls: [running.urls.orchestrator],
  customerUrl: running.urls.customer,
  accountUrl: running.urls.account,
  database: running.databases.orchestrator.kind,
});

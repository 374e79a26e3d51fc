// The whole Sagaworks back end in one process (orchestrator, order, account and customer
// services, as `startSystem` wires them), against an external emulator and Postgres. Started by
// the runner; reports its URLs over IPC and stops (writing a `--cpu-prof` profile) when told to
// or when the runner goes away.
//
// Environment: BENCH_ENDPOINT, BENCH_PREFIX, BENCH_SCHEMA_PREFIX, BENCH_API_TOKEN, DATABASE_URL.
import { startSystem } from "@sagaworks/demo";
import { silentLogger } from "@sagaworks/platform";
import { exitWithParent } from "./children.ts";
import { prefillSql } from "./prefill.ts";

const need = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const system = await startSystem({
  logger: silentLogger(),
  databaseUrl: process.env.DATABASE_URL || undefined,
  awsEndpoint: need("BENCH_ENDPOINT"),
  prefix: need("BENCH_PREFIX"),
  schemaPrefix: process.env.BENCH_SCHEMA_PREFIX ?? "",
  apiToken: need("BENCH_API_TOKEN"),
});
exitWithParent(() => system.stop());
process.on("message", (message: { type?: string; rows?: number }) => {
  if (message.type !== "prefill") return;
  void system.databases.orchestrator.knex.raw(prefillSql(message.rows ?? 0)).then(
    () => process.send?.({ type: "prefill-done" }),
    (error: unknown) => process.send?.({ type: "prefill-done", error: String(error) }),
  );
});
process.send?.({
  type: "ready",
  orchestratorUrls: [system.urls.orchestrator],
  customerUrl: system.urls.customer,
  accountUrl: system.urls.account,
  database: system.databases.orchestrator.kind,
});

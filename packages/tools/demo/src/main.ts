// The main job: the whole back end on this machine, running a mix of real sagas.
//
//   npm run demo                                    # embedded fauxqs + embedded Postgres
//   DATABASE_URL=postgres://… AWS_ENDPOINT_URL=http://127.0.0.1:4566 npm run demo
//   npm run demo -- --keep                          # then keep it running for the web inspector
//
// Exits 0 only when every saga reached the terminal state it was expected to reach, the order
// and account services agree with the sagas, and every account still conserves its money.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { defaultInspectorDir } from "@sagaworks/orchestrator";
import { baseConfigShape, createLogger, loadConfig } from "@sagaworks/platform";
import { definitionsDir, startSystem } from "@sagaworks/system";
import { z } from "zod";
import { checkAccounts, runScenario, type ScenarioResult } from "./scenario.ts";

const config = loadConfig(
  z.object({
    ...baseConfigShape,
    LOG_LEVEL: baseConfigShape.LOG_LEVEL.default("warn"),
    /** Successful orders in the mix; the other cases are fixed. Defaults to 12. */
    DEMO_ORDERS: z.coerce.number().int().min(2).max(2_000).default(12),
    /** How long to wait for every saga; defaults to 120 s. */
    DEMO_TIMEOUT_MS: z.coerce.number().int().min(5_000).default(120_000),
  }),
  // The demo is development by definition: the embedded fallbacks are what it asks for.
  { SAGAWORKS_ENV: "dev", ...process.env },
);
const logger = createLogger({ name: "demo", level: config.LOG_LEVEL });
const say = (line = "") => process.stdout.write(`${line}\n`);
/** `--keep`: after the run, keep the stack up for the inspector until Ctrl-C. */
const keep = process.argv.includes("--keep");
if (keep && !existsSync(defaultInspectorDir)) buildInspector();

/** Builds the web inspector once (it is not in the repository), with a line before and after. */
function buildInspector(): void {
  // pnpm runs this script, and says where it is; started by hand, there is no pnpm to ask.
  const pnpm = process.env.npm_execpath;
  if (!pnpm) {
    say("the web inspector is not built: node scripts/bootstrap.mjs inspector:build, then again");
    return;
  }
  say("building the web inspector, once (about 30 s on a busy machine)…");
  const began = Date.now();
  const result = spawnSync(
    process.execPath,
    [pnpm, "--silent", "--filter", "@sagaworks/inspector", "build", "--logLevel", "warn"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  say(
    result.status === 0
      ? `built the web inspector in ${((Date.now() - began) / 1000).toFixed(0)} s`
      : `the inspector build failed (exit ${result.status}); /ui/ answers 503 until node scripts/bootstrap.mjs inspector:build succeeds`,
  );
}

const started = Date.now();
const system = await startSystem({
  logger,
  databaseUrl: config.DATABASE_URL,
  awsEndpoint: config.AWS_ENDPOINT_URL,
  prefix: config.SAGAWORKS_ENV_PREFIX,
  schemaPrefix: "demo_",
  apiToken: `demo-${crypto.randomUUID()}`,
  serviceToken: `demo-${crypto.randomUUID()}`,
  fast: true,
});
say(
  `Sagaworks demo: ${system.broker.kind} SQS/SNS${system.broker.endpoint ? ` at ${system.broker.endpoint}` : ""}, ${system.databases.orchestrator.kind} Postgres`,
);
say(`  orchestrator ${system.urls.orchestrator}   (OpenAPI at ${system.urls.orchestrator}/docs)`);
say(
  `  order ${system.urls.order}   account ${system.urls.account}   customer ${system.urls.customer}`,
);
say(`  started in ${Date.now() - started} ms\n`);

let result: ScenarioResult | undefined;
let exitCode = 1;
try {
  result = await runScenario(system, {
    successes: config.DEMO_ORDERS,
    timeoutMs: config.DEMO_TIMEOUT_MS,
    onProgress: (line) => say(line),
  });
  const accounts = await checkAccounts(system);
  say("\nsummary");
  for (const [outcome, count] of Object.entries(result.countsByStatus).sort()) {
    say(`  ${outcome.padEnd(22)} ${count}`);
  }
  say(
    `  create-order latency   p50 ${result.latency.p50} ms, p95 ${result.latency.p95} ms (start to terminal state)`,
  );
  say(
    `  repeated start         same saga returned: ${result.duplicateStartSameSaga ? "yes" : "NO"}`,
  );
  say(
    `  duplicate command      absorbed by the account inbox: ${result.duplicateCommandAbsorbed ? "yes" : "NO"}; its reply was recorded and ignored by the orchestrator: ${result.duplicateReplyIgnored ? "yes" : "NO"}`,
  );
  say(
    `  accounts               ${accounts.checked} checked, money conserved in all: ${accounts.problems.length === 0 ? "yes" : "NO"}`,
  );
  say(
    `  SQS/SNS requests       ${system.requests.total()} (${JSON.stringify(system.requests.snapshot())})`,
  );
  for (const problem of [...result.problems, ...accounts.problems]) say(`  PROBLEM: ${problem}`);

  if (result.compensatedTimeline.length > 0) {
    say(`\none compensated saga, ${result.compensatedSagaId}, as a timeline:`);
    for (const line of result.compensatedTimeline) say(`  ${line}`);
  }
  say(
    `\nthe diagrams: ${definitionsDir}/README.md (Mermaid), or GET ${system.urls.orchestrator}/definitions/create-order/1 with the API token`,
  );
  exitCode = result.problems.length === 0 && accounts.problems.length === 0 ? 0 : 1;
  say(
    exitCode === 0
      ? "\nOK: every saga reached its expected terminal state"
      : "\nFAILED: see the problems above",
  );
} catch (error) {
  say(`\nFAILED: ${(error as Error).message}`);
} finally {
  if (keep) {
    say(`\nkept running for the web inspector: ${system.urls.orchestrator}/ui/`);
    say(`  sign in with the API token ${system.apiToken}`);
    say("  Ctrl-C stops everything");
    await new Promise((resolve) => process.once("SIGINT", resolve));
  }
  await system.stop();
}
if (!keep) {
  say("\nTo look at these sagas in the web inspector: npm run demo -- --keep");
}
process.exit(exitCode);

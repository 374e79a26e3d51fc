#!/usr/bin/env node
// sagaworks-topology: prints or applies the queues, DLQs, topic and subscriptions of one
// environment, derived from the saga definitions (participants) and the topology settings
// (MAX_RECEIVE_COUNT, SAGAWORKS_EVENT_SUBSCRIBERS): the same derivation as the orchestrator's dev
// apply, the LocalStack ready hook and the CDK stack in infra/.
//
//   pnpm topology print
//   AWS_ENDPOINT_URL=http://127.0.0.1:4566 pnpm topology apply
//   SAGAWORKS_BROKER=aws SAGAWORKS_ENV_PREFIX=prod pnpm topology apply
import { parseArgs } from "node:util";
import { baseConfigShape, createAwsClients, loadConfig } from "@sagaworks/platform";
import { z } from "zod";
import { applyTopology } from "./apply.ts";
import {
  DEFAULT_DEFINITIONS_DIR,
  environmentTopology,
  loadSagaDefinitions,
  topologySettings,
  topologySettingsShape,
} from "./environment.ts";

const USAGE = `usage: sagaworks-topology <print|apply> [--definitions <dir>]

  print   the queues, DLQs, topic and subscriptions as JSON
  apply   create what is missing and correct drifted attributes (never deletes)

--definitions defaults to SAGA_DEFINITIONS_DIR, else the repository's saga-definitions/.
Environment: SAGAWORKS_ENV_PREFIX (default dev), MAX_RECEIVE_COUNT (default 5),
SAGAWORKS_EVENT_SUBSCRIBERS (default none), AWS_ENDPOINT_URL (LocalStack or another
SQS-compatible endpoint), SAGAWORKS_BROKER=aws for real AWS, AWS_REGION.
Exit codes: 0 done, 1 failed, 2 usage error.`;

/** Thrown for a wrong command line: exit code 2 with the usage. */
class UsageError extends Error {}

const configSchema = z.object({
  SAGAWORKS_ENV_PREFIX: baseConfigShape.SAGAWORKS_ENV_PREFIX,
  AWS_ENDPOINT_URL: baseConfigShape.AWS_ENDPOINT_URL,
  AWS_REGION: baseConfigShape.AWS_REGION,
  SAGAWORKS_BROKER: baseConfigShape.SAGAWORKS_BROKER,
  SAGA_DEFINITIONS_DIR: z.string().default(DEFAULT_DEFINITIONS_DIR),
  ...topologySettingsShape,
});

function parseCommandLine(argv: string[]) {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { definitions: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
    return { command: positionals[0], extra: positionals.slice(1), values };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const { command, extra, values } = parseCommandLine(argv);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== "print" && command !== "apply") {
    throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(" ")}`);
  // The CLI has no embedded fallback to guard against (`apply` checks for a broker itself, and
  // `print` needs none), so the deployment rule of loadConfig does not apply to it.
  const config = loadConfig(configSchema, { ...process.env, SAGAWORKS_ENV: "dev" });
  const definitions = await loadSagaDefinitions(values.definitions ?? config.SAGA_DEFINITIONS_DIR);
  const topology = environmentTopology({
    prefix: config.SAGAWORKS_ENV_PREFIX,
    definitions,
    settings: topologySettings(config),
  });
  if (command === "print") {
    process.stdout.write(`${JSON.stringify(topology, null, 2)}\n`);
    return 0;
  }
  if (!config.AWS_ENDPOINT_URL && config.SAGAWORKS_BROKER !== "aws") {
    throw new UsageError(
      "apply needs a broker that outlives this command: set AWS_ENDPOINT_URL (LocalStack, the stack's emulator) or SAGAWORKS_BROKER=aws. " +
        "An embedded emulator lives inside one process, which applies the topology itself in dev.",
    );
  }
  const clients = createAwsClients({
    endpoint: config.AWS_ENDPOINT_URL,
    region: config.AWS_REGION,
  });
  try {
    const report = await applyTopology(clients, topology);
    for (const entry of [...report.topics, ...report.queues]) {
      process.stdout.write(`${entry.action.padEnd(9)} ${entry.name}\n`);
    }
    for (const entry of report.subscriptions) {
      process.stdout.write(`${entry.action.padEnd(9)} ${entry.topic} -> ${entry.queue}\n`);
    }
    process.stdout.write(report.changed ? "topology applied\n" : "topology already up to date\n");
    return 0;
  } finally {
    clients.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error & { code?: string }) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error.code ?? "ERROR"}: ${error.message}\n`);
    process.exit(1);
  },
);

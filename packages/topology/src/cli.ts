#!/usr/bin/env node
// sagaworks-topology: prints or applies the queues, DLQs, topic and subscriptions of one
// environment. The LocalStack compose file and CI call `apply`; `print` feeds reviews and IaC.
//
//   pnpm topology print
//   AWS_ENDPOINT_URL=http://127.0.0.1:4566 pnpm topology apply
//   SAGAWORKS_BROKER=aws SAGAWORKS_ENV_PREFIX=prod pnpm topology apply
import { parseArgs } from "node:util";
import { baseConfigShape, createAwsClients, loadConfig } from "@sagaworks/platform";
import { z } from "zod";
import { applyTopology } from "./apply.ts";
import { deriveTopology } from "./derive.ts";

const USAGE = `usage: sagaworks-topology <print|apply> [--participants order,account] [--max-receive-count 5]

Environment: SAGAWORKS_ENV_PREFIX (default dev), AWS_ENDPOINT_URL (LocalStack or another
SQS-compatible endpoint), SAGAWORKS_BROKER=aws for real AWS, AWS_REGION.`;

/** The participants of the shipped back end, until the saga definitions supply the list. */
const DEFAULT_PARTICIPANTS = "order,account";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      participants: { type: "string", default: DEFAULT_PARTICIPANTS },
      "max-receive-count": { type: "string", default: "5" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || (command !== "print" && command !== "apply")) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadConfig(z.object(baseConfigShape));
  const topology = deriveTopology({
    prefix: config.SAGAWORKS_ENV_PREFIX,
    participants: values.participants
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
    maxReceiveCount: Number(values["max-receive-count"]),
    eventSubscribers: [{ name: "saga-audit" }],
  });
  if (command === "print") {
    process.stdout.write(`${JSON.stringify(topology, null, 2)}\n`);
    return 0;
  }
  if (!config.AWS_ENDPOINT_URL && config.SAGAWORKS_BROKER !== "aws") {
    process.stderr.write(
      "apply needs a broker that outlives this command: set AWS_ENDPOINT_URL (LocalStack) or SAGAWORKS_BROKER=aws.\n" +
        "The embedded emulator lives inside each process and applies the topology itself.\n",
    );
    return 2;
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
    process.stderr.write(`${error.code ?? "ERROR"}: ${error.message}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
// The runbook's practice stack: the whole back end in this process on the embedded emulator (or
// DATABASE_URL / AWS_ENDPOINT_URL when set), with the saga step timeouts long enough that a
// stalled saga waits. It prints the environment `ops` needs and takes commands on stdin:
//   orders <n>   start n create-order sagas (each for a new customer with 100.00 of credit)
//   break        the account participant fails every command (its database is "unreachable")
//   repair       the real account participant runs again
//   quit
import { createInterface } from "node:readline";
import { createLogger } from "@sagaworks/platform";
import { OpsHarness } from "./harness.ts";

const harness = await OpsHarness.start("dev stack", process.env.AWS_ENDPOINT_URL, {
  logger: createLogger({ name: "dev-stack", level: "error" }),
  prefix: process.env.SAGAWORKS_ENV_PREFIX ?? "dev",
});
const env = harness.env();
delete env.OPS_DB_SCHEMA;
delete env.DATABASE_URL;
delete env.OPS_ACTOR;
if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
else env.OPS_JOURNAL_DIR = ".pglite/ops-journal";
process.stdout.write(
  `stack up. In another terminal:\n${Object.entries(env)
    .map(([name, value]) => `export ${name}=${value}`)
    .join("\n")}\ncommands: orders <n> | break | repair | quit\n`,
);

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, arg] = line.trim().split(/\s+/);
  try {
    if (command === "orders") {
      for (let i = 0; i < Number(arg ?? 1); i++) {
        const saga = await harness.startOrder(await harness.newCustomer(10_000), 1_000);
        process.stdout.write(`started create-order ${saga}\n`);
      }
    } else if (command === "break") {
      await harness.breakAccount();
      process.stdout.write("account participant broken: every ReserveCredit fails\n");
    } else if (command === "repair") {
      await harness.repairAccount();
      process.stdout.write("account participant repaired\n");
    } else if (command === "quit") break;
    else if (command) process.stdout.write(`unknown command ${command}\n`);
  } catch (error) {
    process.stdout.write(`failed: ${(error as Error).message}\n`);
  }
}
await harness.stop();
process.exit(0);

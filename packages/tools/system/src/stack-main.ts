// `npm run stack`: the whole back end as separate processes, with prefixed logs; Ctrl-C stops
// everything. See README "Running the services".
import { randomBytes } from "node:crypto";
import { baseConfigShape, createLogLineFormatter, loadConfig } from "@sagaworks/platform";
import { z } from "zod";
import { seedEnvironment } from "./seed.ts";
import { startStack } from "./stack.ts";

const config = loadConfig(
  z.object({
    DATABASE_URL: baseConfigShape.DATABASE_URL,
    AWS_ENDPOINT_URL: baseConfigShape.AWS_ENDPOINT_URL,
    SAGAWORKS_ENV_PREFIX: baseConfigShape.SAGAWORKS_ENV_PREFIX,
    MAX_RECEIVE_COUNT: baseConfigShape.MAX_RECEIVE_COUNT,
    LOG_LEVEL: baseConfigShape.LOG_LEVEL,
    /** First port of the stack; defaults to 3000 (see startStack for the layout). */
    STACK_PORT_BASE: z.coerce.number().int().min(1024).max(65_000).default(3000),
    /** Prefix of every schema on a shared Postgres; defaults to none. */
    STACK_SCHEMA_PREFIX: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,30}$/, "use lower-case letters, digits and underscores")
      .optional(),
    /** The orchestrator API's bearer token; defaults to a random one, printed at start. */
    ORCHESTRATOR_API_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** The services' write token; defaults to a random one, printed at start. */
    SERVICE_WRITE_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** The command signing key; defaults to a random one for this run. */
    COMMAND_SIGNING_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  }),
  // A development tool: without DATABASE_URL the processes get their own PGlite.
  { SAGAWORKS_ENV: "dev", ...process.env },
);
const say = (line: string) => process.stdout.write(`${line}\n`);
const apiToken = config.ORCHESTRATOR_API_TOKEN ?? `stack-${randomBytes(12).toString("hex")}`;
const serviceToken = config.SERVICE_WRITE_TOKEN ?? `stack-${randomBytes(12).toString("hex")}`;
const commandSigningKey = config.COMMAND_SIGNING_KEY ?? randomBytes(32).toString("hex");
// One reply key per participant, random per run: neither can sign as the other.
const replySigningKeys = {
  order: randomBytes(32).toString("hex"),
  account: randomBytes(32).toString("hex"),
};

// Ctrl-C during start-up stops what has started; afterwards it stops everything.
const starting = new AbortController();
let stopAll = (reason: string, _code: number) => starting.abort(new Error(reason));
process.on("SIGINT", () => stopAll("SIGINT", 0));
process.on("SIGTERM", () => stopAll("SIGTERM", 0));

const stack = await startStack({
  databaseUrl: config.DATABASE_URL,
  awsEndpoint: config.AWS_ENDPOINT_URL,
  prefix: config.SAGAWORKS_ENV_PREFIX,
  portBase: config.STACK_PORT_BASE,
  schemaPrefix: config.STACK_SCHEMA_PREFIX ?? "",
  apiToken,
  serviceToken,
  commandSigningKey,
  replySigningKeys,
  logLevel: config.LOG_LEVEL,
  maxReceiveCount: config.MAX_RECEIVE_COUNT,
  write: say,
  // The children write JSON lines into a pipe; a person at a terminal reads them formatted.
  formatLine: process.stdout.isTTY ? createLogLineFormatter({ colorize: true }) : undefined,
  signal: starting.signal,
}).catch((error: Error) => {
  if (starting.signal.aborted) {
    say("[stack]          stopped during start-up");
    process.exit(0);
  }
  say(`[stack]          could not start: ${error.message}`);
  process.exit(1);
});

let stopping = false;
stopAll = (reason: string, code: number) => {
  if (stopping) return;
  stopping = true;
  say(`[stack]          ${reason}: stopping every process`);
  void stack.stop().then(() => {
    say("[stack]          stopped");
    process.exit(code);
  });
};
void stack.unexpectedExit.then((name) => stopAll(`${name} exited`, 1));

try {
  const seeded = await seedEnvironment({
    customer: stack.urls.customer,
    account: stack.urls.account,
    writeToken: serviceToken,
  });
  // The customer service seeds its customers itself at start-up, so they are usually "already
  // there"; both counts are shown for both kinds.
  say(
    `[stack]          seeded: customers ${seeded.customers.created} created, ${seeded.customers.existing} already there; accounts ${seeded.accounts.created} created, ${seeded.accounts.existing} already there`,
  );
} catch (error) {
  say(`[stack]          ${(error as Error).message}`);
  stopAll("seeding failed", 1);
}
say(
  JSON.stringify({
    msg: "stack ready",
    orchestrators: stack.urls.orchestrators,
    order: stack.urls.order,
    account: stack.urls.account,
    customer: stack.urls.customer,
    broker: stack.brokerEndpoint,
    database: config.DATABASE_URL ? "postgres" : "embedded PGlite per process",
  }),
);
// What `ops` (and `npm run seed`) need, to paste into another terminal.
const opsEnvironment: Record<string, string> = {
  AWS_ENDPOINT_URL: stack.brokerEndpoint,
  SAGAWORKS_ENV_PREFIX: config.SAGAWORKS_ENV_PREFIX,
  ORCHESTRATOR_URL: stack.urls.orchestrators[0] ?? "",
  ORCHESTRATOR_API_TOKEN: apiToken,
  SERVICE_WRITE_TOKEN: serviceToken,
  CUSTOMER_URL: stack.urls.customer,
  ACCOUNT_URL: stack.urls.account,
  // ops keeps its replay journal in Postgres: the stack's, or an embedded one on a dev machine.
  ...(config.DATABASE_URL ? {} : { OPS_JOURNAL_DIR: ".pglite/ops-journal" }),
};
say(
  `[stack]          for ops in another terminal${config.DATABASE_URL ? " (with the same DATABASE_URL)" : ""}:\n${Object.entries(
    opsEnvironment,
  )
    .map(([name, value]) => `  export ${name}=${value}`)
    .join("\n")}`,
);
say(
  `[stack]          ready. Start a saga:\n  curl -X POST ${stack.urls.orchestrators[0]}/sagas/create-order -H 'authorization: Bearer ${apiToken}' -H 'content-type: application/json' \\\n    -d '{"input":{"customerId":"cust-ada","items":[{"sku":"book","quantity":1,"unitPriceCents":1500}],"totalCents":1500}}'\n  Services' write token: ${serviceToken}\n  Ctrl-C stops everything.`,
);

// One process of the hand-written baseline: any of its roles (customer, order, account), all
// three in one process or one per process. Started by the runner; reports its URLs over IPC.
//
// Environment: BENCH_ROLES (comma list), BENCH_ENDPOINT, BENCH_QUEUES (JSON), BENCH_SCHEMA,
// BENCH_CUSTOMER_URL (for an order role without its customer), BENCH_SEED (JSON list of
// customer ids; seeded by the process that has the customer role), BENCH_CREDIT_CENTS,
// DATABASE_URL (unset: PGlite, which only works with every role in this one process).
import { SQSClient } from "@aws-sdk/client-sqs";
import { PGlite } from "@electric-sql/pglite";
import {
  type BaselinePart,
  type BaselineQueues,
  migrateBaseline,
  pgliteSql,
  pgSql,
  type Sql,
  seedBaseline,
  startBaselineAccount,
  startBaselineCustomer,
  startBaselineOrder,
} from "./baseline.ts";
import { exitWithParent } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw BenchErrors.create(BenchErrorCode.usage, `${name} is not set`);
  return value;
};
const roles = new Set(env("BENCH_ROLES").split(","));
const queues = JSON.parse(env("BENCH_QUEUES")) as BaselineQueues;
const schema = env("BENCH_SCHEMA");
const databaseUrl = process.env.DATABASE_URL;

const parts: BaselinePart[] = [];
let sql: Sql | undefined;
let sqs: SQSClient | undefined;
// Registered before anything opens, so a runner that dies meanwhile leaves nothing behind.
exitWithParent(async () => {
  for (const part of parts.reverse()) await part.stop();
  sqs?.destroy();
  await sql?.close();
});
if (databaseUrl) {
  const admin = pgSql(databaseUrl, "public", 1);
  await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).catch((error: unknown) => {
    // Two baseline processes creating the schema at once: the loser's error is harmless.
    if (!/already exists|duplicate key/.test(String(error))) throw error;
  });
  await admin.close();
  sql = pgSql(databaseUrl, schema);
} else {
  sql = pgliteSql(new PGlite());
}
await migrateBaseline(sql);
sqs = new SQSClient({
  region: "us-east-1",
  endpoint: env("BENCH_ENDPOINT"),
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

let customerUrl = process.env.BENCH_CUSTOMER_URL;
if (roles.has("customer")) {
  const seed = JSON.parse(process.env.BENCH_SEED ?? "[]") as string[];
  await seedBaseline(sql, seed, Number(process.env.BENCH_CREDIT_CENTS ?? 1_000_000_000));
  const customer = await startBaselineCustomer(sql);
  parts.push(customer);
  customerUrl = customer.url;
}
let orderUrl: string | undefined;
if (roles.has("order")) {
  if (!customerUrl)
    throw BenchErrors.create(
      BenchErrorCode.usage,
      "the order role needs BENCH_CUSTOMER_URL or the customer role",
    );
  const order = await startBaselineOrder({ sql, sqs, queues, customerUrl });
  parts.push(order);
  orderUrl = order.url;
}
if (roles.has("account")) parts.push(startBaselineAccount({ sql, sqs, queues }));
process.send?.({ type: "ready", customerUrl, orderUrl });

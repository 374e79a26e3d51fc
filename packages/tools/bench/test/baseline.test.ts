// The hand-written baseline must be a real implementation of create-order, or the benchmark's
// ratios mean nothing: an order for a known customer ends approved, one over the credit limit
// ends rejected, and an unknown customer is refused. Against the run's SQS endpoint over HTTP
// and PGlite (or a schema of DATABASE_URL).
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { PGlite } from "@electric-sql/pglite";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
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
} from "../src/baseline.ts";
import { EventWaiter } from "../src/load.ts";

const name = uniqueTestName("bench baseline", 30);
const schema = name.replace(/-/g, "_");
const sqs = new SQSClient({
  region: "us-east-1",
  endpoint: inject("brokerEndpoint"),
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
let sql: Sql;
let events: EventWaiter;
let orderUrl: string;
const parts: BaselinePart[] = [];

beforeAll(async () => {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const admin = pgSql(databaseUrl, "public", 1);
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await admin.close();
    sql = pgSql(databaseUrl, schema);
  } else {
    sql = pgliteSql(new PGlite());
  }
  await migrateBaseline(sql);
  await seedBaseline(sql, ["rich"], 1_000_000);
  await seedBaseline(sql, ["poor"], 50);
  const queue = async (suffix: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${suffix}` }))).QueueUrl ?? "";
  const queues: BaselineQueues = {
    account: await queue("account"),
    orderReplies: await queue("replies"),
    clientEvents: await queue("events"),
  };
  const customer = await startBaselineCustomer(sql);
  parts.push(customer);
  const order = await startBaselineOrder({ sql, sqs, queues, customerUrl: customer.url ?? "" });
  parts.push(order, startBaselineAccount({ sql, sqs, queues }));
  orderUrl = order.url ?? "";
  events = new EventWaiter(sqs, queues.clientEvents, 1);
}, 120_000);

afterAll(async () => {
  await events?.stop();
  for (const part of parts.reverse()) await part.stop();
  if (process.env.DATABASE_URL) await sql?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql?.close();
  sqs.destroy();
});

async function placeOrder(customerId: string, totalCents: number) {
  const response = await fetch(`${orderUrl}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ customerId, totalCents }),
  });
  return { status: response.status, body: (await response.json()) as { orderId?: string } };
}

it("approves an order within the credit limit and rejects one over it", async () => {
  const approved = await placeOrder("rich", 100);
  const rejected = await placeOrder("poor", 100);
  expect([approved.status, rejected.status]).toEqual([202, 202]);
  expect(await events.wait(approved.body.orderId ?? "", 30_000)).toBe("order.approved");
  expect(await events.wait(rejected.body.orderId ?? "", 30_000)).toBe("order.rejected");
  const { rows } = await sql.query<{ customer_id: string; available_cents: string }>(
    "SELECT customer_id, available_cents FROM accounts ORDER BY customer_id",
  );
  expect(rows.map((r) => [r.customer_id, Number(r.available_cents)])).toEqual([
    ["poor", 50],
    ["rich", 999_900],
  ]);
});

it("refuses an unknown customer at once", async () => {
  expect((await placeOrder("nobody", 100)).status).toBe(422);
});

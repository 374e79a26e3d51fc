// The main job. Until the orchestrator and the services exist, it proves the foundation end to
// end: commands go over SQS to a participant, replies come back to the orchestrator's queue and
// are recorded exactly once in Postgres (an inbox), duplicates included. Exits 0 only when every
// command got exactly one recorded reply.
//
//   npm run demo                                   # embedded fauxqs + embedded Postgres
//   DATABASE_URL=postgres://… AWS_ENDPOINT_URL=http://127.0.0.1:4566 npm run demo
import {
  ack,
  createEnvelope,
  type Envelope,
  envelopeMessage,
  RequestCounter,
  SqsConsumer,
  sendToQueue,
} from "@sagaworks/messaging";
import {
  baseConfigShape,
  createAwsClients,
  createDatabase,
  createLogger,
  loadConfig,
  resolveBroker,
  runMigrations,
} from "@sagaworks/platform";
import {
  applyTopology,
  commandQueueName,
  deriveTopology,
  replyQueueName,
} from "@sagaworks/topology";
import { z } from "zod";
import { roundTripMigrations } from "./round-trip-migrations.ts";

const config = loadConfig(
  z.object({
    ...baseConfigShape,
    LOG_LEVEL: baseConfigShape.LOG_LEVEL.default("warn"),
    /** How many commands the round trip sends; defaults to 200. */
    DEMO_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(200),
    /** How long to wait for every reply; defaults to 60 s. */
    DEMO_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(60_000),
  }),
);
const logger = createLogger({ name: "demo", level: config.LOG_LEVEL });
const say = (line: string) => process.stdout.write(`${line}\n`);

const broker = await resolveBroker(config);
const clients = createAwsClients({ endpoint: broker.endpoint, region: config.AWS_REGION });
const counter = new RequestCounter();
counter.attach(clients.sqs, "SQS");
counter.attach(clients.sns, "SNS");
const db = await createDatabase({
  databaseUrl: config.DATABASE_URL,
  schema: "sagaworks_demo",
  logger,
});
await runMigrations(db, roundTripMigrations);
// Each run counts only its own replies, whatever earlier runs left in a real database.
const runId = crypto.randomUUID();

const prefix = config.SAGAWORKS_ENV_PREFIX;
const topology = await applyTopology(clients, deriveTopology({ prefix, participants: ["order"] }));
const commandsUrl = topology.queueUrls[commandQueueName(prefix, "order")] ?? "";
const repliesUrl = topology.queueUrls[replyQueueName(prefix)] ?? "";
say(`broker: ${broker.kind} ${broker.endpoint ?? "(AWS)"}; database: ${db.kind}`);
say(`topology "${prefix}": ${topology.queues.length} queues, ${topology.topics.length} topic`);

// The participant: answers each command with a reply to the queue it names.
const participant = new SqsConsumer({
  sqs: clients.sqs,
  queueUrl: commandsUrl,
  logger,
  waitTimeSeconds: 1,
  handler: async ({ body }) => {
    const reply = createEnvelope({
      ...body,
      kind: "reply",
      name: "order.pending-created",
      causationId: body.messageId,
      idempotencyKey: undefined,
      replyTo: null,
      payload: { orderId: body.payload.orderId, status: "pending", sentAt: body.payload.sentAt },
    });
    const report = await sendToQueue(clients.sqs, repliesUrl, [envelopeMessage(reply)]);
    return report.failed.length === 0
      ? ack()
      : { type: "retry-later", delaySeconds: 1, reason: "reply not sent" };
  },
});

// The orchestrator side: records each reply once; a redelivered reply inserts nothing.
let duplicates = 0;
const latencies: number[] = [];
const orchestrator = new SqsConsumer({
  sqs: clients.sqs,
  queueUrl: repliesUrl,
  logger,
  waitTimeSeconds: 1,
  handler: async ({ body }: { body: Envelope }) => {
    const inserted = await db
      .knex("round_trip_inbox")
      .insert({ message_id: body.messageId, causation_id: body.causationId, run_id: runId })
      .onConflict("message_id")
      .ignore()
      .returning("message_id");
    if (inserted.length === 0) duplicates++;
    else latencies.push(Date.now() - Date.parse(body.payload.sentAt as string));
    return ack();
  },
});
participant.start();
orchestrator.start();

const commands = Array.from({ length: config.DEMO_MESSAGES }, (_, i) =>
  createEnvelope({
    kind: "command",
    name: "order.create-pending",
    sagaId: crypto.randomUUID(),
    sagaName: "round-trip",
    sagaVersion: 1,
    step: "create-pending-order",
    attempt: 1,
    compensation: false,
    idempotencyKey: `round-trip-${i}`,
    replyTo: replyQueueName(prefix),
    payload: { orderId: `order-${i}`, sentAt: new Date().toISOString() },
  }),
);
const started = Date.now();
const report = await sendToQueue(
  clients.sqs,
  commandsUrl,
  commands.map((c) => envelopeMessage(c)),
);
// At-least-once in practice: resend one command, as a producer that crashed before recording
// its send would. The participant answers twice; the inbox records one reply for it.
const duplicateReplyOf = commands[0];
if (duplicateReplyOf)
  await sendToQueue(clients.sqs, commandsUrl, [envelopeMessage(duplicateReplyOf)]);

let recorded = 0;
let lastShown = 0;
while (Date.now() - started < config.DEMO_TIMEOUT_MS) {
  const [row] = await db
    .knex("round_trip_inbox")
    .where({ run_id: runId })
    .countDistinct({ n: "causation_id" });
  recorded = Number(row?.n ?? 0);
  // Live progress: redrawn in place on a terminal, one line a second when piped.
  if (process.stdout.isTTY)
    process.stdout.write(`\rreplies recorded: ${recorded}/${commands.length}`);
  else if (Date.now() - lastShown >= 1_000) {
    say(`replies recorded: ${recorded}/${commands.length}`);
    lastShown = Date.now();
  }
  if (recorded >= commands.length && duplicates >= 1) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
if (process.stdout.isTTY) process.stdout.write("\n");
const elapsed = (Date.now() - started) / 1000;
await participant.stop();
await orchestrator.stop();

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
say("\nsummary");
say(`  commands sent:          ${report.sent.length} in ${report.calls} SendMessageBatch call(s)`);
say(`  replies recorded once:  ${recorded}`);
say(`  duplicates absorbed:    ${duplicates}`);
say(`  round trip latency:     p50 ${pct(50)} ms, p95 ${pct(95)} ms`);
say(`  throughput:             ${(recorded / elapsed).toFixed(0)} round trips/s`);
say(`  SQS/SNS requests:       ${JSON.stringify(counter.snapshot())}`);

await db.close();
clients.destroy();
await broker.stop();
const ok = recorded === commands.length && duplicates >= 1 && report.failed.length === 0;
say(
  ok ? "\nOK: every command got exactly one recorded reply" : "\nFAILED: some replies are missing",
);
process.exit(ok ? 0 : 1);

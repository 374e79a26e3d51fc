// What one create-order saga costs, and how fast the orchestrator runs them, on this machine.
//
//   node packages/services/orchestrator/bench/saga-cost.ts                 # embedded fauxqs + PGlite
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node packages/services/orchestrator/bench/saga-cost.ts
//   BENCH_SAGAS=1000 …                                            # more sagas at saturation
//
// Everything runs in this process: the orchestrator, the order and account participants (small
// handlers answering over SQS) and a customer HTTP server. Requests are counted by the SDK
// middleware on every client, commits by the orchestrator's runtime.
import { randomUUID } from "node:crypto";
import { RequestCounter } from "@sagaworks/messaging";
import { createAwsClients, createDatabase, resolveBroker, silentLogger } from "@sagaworks/platform";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { loadDefinitions } from "../src/index.ts";
import { createOrchestrator } from "../src/orchestrator.ts";
import {
  orderInput,
  shopAnswers,
  startCustomerServer,
  startParticipant,
} from "../src/testing/index.ts";

const saturationSagas = Number(process.env.BENCH_SAGAS ?? 500);
const lightSagas = Number(process.env.BENCH_LIGHT_SAGAS ?? 30);

const broker = await resolveBroker({
  AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
  SAGAWORKS_BROKER: "embedded",
});
const clients = createAwsClients({ endpoint: broker.endpoint });
const participantClients = createAwsClients({ endpoint: broker.endpoint });
// Two counters: what the orchestrator sends and receives, and what the stand-in participants do
// (their cost belongs to the participant SDK, measured with the services).
const counter = new RequestCounter();
counter.attach(clients.sqs, "SQS");
counter.attach(clients.sns, "SNS");
const participantCounter = new RequestCounter();
participantCounter.attach(participantClients.sqs, "SQS");
const schema = `bench_${randomUUID().slice(0, 8)}`;
const db = await createDatabase({
  databaseUrl: process.env.DATABASE_URL,
  schema,
  pool: { min: 2, max: 20 },
});
const definitions = await loadDefinitions(sagaDefinitionsDir);
const createOrder = definitions.find((d) => d.name === "create-order");
if (!createOrder) throw new Error("create-order is not in saga-definitions/");
const commandSteps = createOrder.steps.filter((s) => s.action.kind === "command").length;
const customer = await startCustomerServer();
const prefix = `bench-${process.pid}`;
const orchestrator = await createOrchestrator({
  db,
  clients,
  logger: silentLogger(),
  definitions,
  prefix,
  serviceUrls: { customer: customer.url },
  apiToken: "bench-token-0123456789",
  options: { replyConcurrency: 20, replyWaitTimeSeconds: 20, timerPollIntervalMs: 200 },
});
orchestrator.start();
const env = { clients: participantClients, prefix };
const answers = shopAnswers(Number.MAX_SAFE_INTEGER);
const order = await startParticipant(env, "order", answers.order);
const account = await startParticipant(env, "account", answers.account);

async function waitAll(ids: readonly string[]): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  while (done.size < ids.length) {
    const rows = (await db
      .knex("saga_instances")
      .whereIn("id", ids)
      .whereIn("status", ["completed", "compensated", "failed", "needs-intervention"])
      .select("id", "updated_at", "status")) as { id: string; updated_at: Date; status: string }[];
    for (const row of rows) {
      if (row.status !== "completed") throw new Error(`saga ${row.id} ended ${row.status}`);
      done.set(row.id, new Date(row.updated_at).getTime());
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return done;
}

interface Phase {
  name: string;
  sagas: number;
  seconds: number;
  requests: Record<string, number>;
  participantRequests: number;
  commits: number;
  latencies: number[];
}

async function phase(name: string, sagas: number, concurrent: boolean): Promise<Phase> {
  counter.reset();
  participantCounter.reset();
  const commitsBefore = orchestrator.runtime.metrics.commits;
  const latencies: number[] = [];
  const started = performance.now();
  if (concurrent) {
    const startTimes = new Map<string, number>();
    const ids = await Promise.all(
      Array.from({ length: sagas }, async (_, i) => {
        const t = Date.now();
        const { sagaId } = await orchestrator.runtime.start(
          createOrder as never,
          orderInput(`c-${i}`, 100),
        );
        startTimes.set(sagaId, t);
        return sagaId;
      }),
    );
    const done = await waitAll(ids);
    for (const [id, end] of done) latencies.push(end - (startTimes.get(id) ?? end));
  } else {
    for (let i = 0; i < sagas; i++) {
      const t = Date.now();
      const { sagaId } = await orchestrator.runtime.start(
        createOrder as never,
        orderInput(`l-${i}`, 100),
      );
      const done = await waitAll([sagaId]);
      latencies.push((done.get(sagaId) ?? t) - t);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  // Let the last lifecycle events and deletes go out before reading the counters.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    name,
    sagas,
    seconds,
    requests: counter.snapshot(),
    participantRequests: participantCounter.total(),
    commits: orchestrator.runtime.metrics.commits - commitsBefore,
    latencies: latencies.sort((a, b) => a - b),
  };
}

const pct = (values: number[], p: number) =>
  values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

const light = await phase("light load (one saga at a time)", lightSagas, false);
const saturated = await phase(
  `saturation (${saturationSagas} started at once)`,
  saturationSagas,
  true,
);

const messagesPerSaga = 2 * commandSteps;
console.log(
  `\ncreate-order on ${broker.kind} SQS/SNS and ${db.kind} Postgres, node ${process.version}; ` +
    `${commandSteps} command steps + 1 HTTP step per saga`,
);
console.log(
  `floor: ${messagesPerSaga} SQS messages per saga; batched by 10, about 3 × ${messagesPerSaga} / 10 = ${((3 * messagesPerSaga) / 10).toFixed(1)} SQS requests per saga\n`,
);
for (const p of [light, saturated]) {
  const sqs = Object.entries(p.requests).filter(([k]) => k.startsWith("SQS."));
  const sqsTotal = sqs.reduce((sum, [, n]) => sum + n, 0);
  const receives = p.requests["SQS.ReceiveMessage"] ?? 0;
  const sns = Object.entries(p.requests)
    .filter(([k]) => k.startsWith("SNS."))
    .reduce((sum, [, n]) => sum + n, 0);
  console.log(p.name);
  console.log(`  sagas/s:                 ${(p.sagas / p.seconds).toFixed(1)}`);
  console.log(`  latency p50 / p95:       ${pct(p.latencies, 50)} ms / ${pct(p.latencies, 95)} ms`);
  console.log(
    `  SQS requests per saga:   ${((sqsTotal + p.participantRequests) / p.sagas).toFixed(2)} in all`,
  );
  console.log(
    `    by the orchestrator:   ${(sqsTotal / p.sagas).toFixed(2)} (of which ReceiveMessage ${(receives / p.sagas).toFixed(2)})`,
  );
  console.log(
    `    by the participants:   ${(p.participantRequests / p.sagas).toFixed(2)} (stand-ins: one reply per SendMessageBatch)`,
  );
  console.log(`  SNS requests per saga:   ${(sns / p.sagas).toFixed(2)} (lifecycle events)`);
  console.log(
    `  commits per saga:        ${(p.commits / p.sagas).toFixed(2)} (${(p.commits / p.sagas / (commandSteps + 1)).toFixed(2)} per step)`,
  );
  console.log(`  orchestrator requests:   ${JSON.stringify(p.requests)}\n`);
}

await order.consumer.stop();
await account.consumer.stop();
await orchestrator.stop();
await customer.close();
await db.knex.raw("DROP SCHEMA IF EXISTS ?? CASCADE", [schema]);
await db.close();
clients.destroy();
participantClients.destroy();
await broker.stop();

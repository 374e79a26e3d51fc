// Raw throughput of the emulator through this messaging layer: messages per second for send,
// receive and delete, one message per call and batched, in one run so the ratios compare.
//
//   pnpm bench                       # embedded fauxqs, 2,000 messages of 1 KiB
//   BENCH_MESSAGES=5000 pnpm bench   # more messages
//   AWS_ENDPOINT_URL=http://127.0.0.1:4566 pnpm bench   # another endpoint (LocalStack)
import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { createAwsClients, resolveBroker, silentLogger } from "@sagaworks/platform";
import { applyTopology, commandQueueName, deriveTopology } from "@sagaworks/topology";
import { ack, RequestCounter, SqsConsumer, sendToQueue } from "../src/index.ts";

const total = Number(process.env.BENCH_MESSAGES ?? 2_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const body = JSON.stringify({ data: "x".repeat(1_000) });

const broker = await resolveBroker({
  AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
  SAGAWORKS_BROKER: "embedded",
});
const clients = createAwsClients({ endpoint: broker.endpoint });
const counter = new RequestCounter();
counter.attach(clients.sqs, "SQS");
const prefix = `bench-${process.pid}`;
const applied = await applyTopology(clients, deriveTopology({ prefix, participants: ["bench"] }));
const queueUrl = applied.queueUrls[commandQueueName(prefix, "bench")] ?? "";

/**
 * Runs `work` on `concurrency` lanes until it returns null; returns messages per second, where
 * each call of `work` says how many messages it handled.
 */
async function rate(work: () => Promise<number | null>) {
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let got = await work(); got !== null; got = await work()) done += got;
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

function claimSends(perCall: number) {
  let left = total;
  return () => {
    const n = Math.min(perCall, left);
    left -= n;
    return n;
  };
}

async function receiveAll(max: number): Promise<Message[]> {
  const messages: Message[] = [];
  await rate(async () => {
    if (messages.length >= total) return null;
    const response = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        VisibilityTimeout: 600,
        // Short polling: at the end, long polls would wait on an empty queue and skew the rate.
        WaitTimeSeconds: 0,
      }),
    );
    messages.push(...(response.Messages ?? []));
    return response.Messages?.length ?? 0;
  });
  return messages;
}

const results: { operation: string; mode: string; perSecond: number; requests: number }[] = [];
async function measure(operation: string, mode: string, run: () => Promise<number>) {
  counter.reset();
  const perSecond = await run();
  results.push({ operation, mode, perSecond, requests: counter.total() });
}

await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
for (const mode of ["one per call", "batches of 10"] as const) {
  const batched = mode === "batches of 10";
  const claim = claimSends(batched ? 10 : 1);
  await measure("send", mode, () =>
    rate(async () => {
      const n = claim();
      if (n === 0) return null;
      if (batched) {
        await sendToQueue(
          clients.sqs,
          queueUrl,
          Array.from({ length: n }, () => ({ body })),
        );
      } else {
        await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      }
      return n;
    }),
  );
  let received: Message[] = [];
  await measure("receive", mode, async () => {
    const started = performance.now();
    received = await receiveAll(batched ? 10 : 1);
    return received.length / ((performance.now() - started) / 1000);
  });
  await measure("delete", mode, async () => {
    const handles = received.map((m) => m.ReceiptHandle ?? "");
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < handles.length) {
          const slice = handles.slice(next, next + (batched ? 10 : 1));
          next += slice.length;
          if (batched) {
            await clients.sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: slice.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
              }),
            );
          } else {
            await clients.sqs.send(
              new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: slice[0] }),
            );
          }
        }
      }),
    );
    return handles.length / ((performance.now() - started) / 1000);
  });
}

// The consumer as the engine uses it: long polling, 10 handlers at once, batched deletes.
await sendToQueue(
  clients.sqs,
  queueUrl,
  Array.from({ length: total }, () => ({ body })),
);
await measure("consume (receive + ack + batched delete)", "SqsConsumer", async () => {
  const consumer = new SqsConsumer<string | undefined>({
    sqs: clients.sqs,
    queueUrl,
    logger: silentLogger(),
    decode: (raw) => raw,
    concurrency: 20,
    waitTimeSeconds: 1,
    handler: async () => ack(),
  });
  const started = performance.now();
  consumer.start();
  while (consumer.stats.acked < total) await new Promise((resolve) => setTimeout(resolve, 5));
  const perSecond = total / ((performance.now() - started) / 1000);
  await consumer.stop();
  return perSecond;
});

const baseline = new Map(
  results.filter((r) => r.mode === "one per call").map((r) => [r.operation, r.perSecond]),
);
console.log(
  `\nSQS throughput through @sagaworks/messaging on ${broker.kind} (${broker.endpoint ?? "AWS"}), ` +
    `${total} messages of ${body.length} bytes, ${concurrency} calls in flight, node ${process.version}\n`,
);
console.log(
  "operation                                  mode            msg/s   requests  vs one-per-call",
);
for (const r of results) {
  const base = baseline.get(r.operation);
  const ratio = base && r.mode !== "one per call" ? `${(r.perSecond / base).toFixed(1)}x` : "";
  console.log(
    `${r.operation.padEnd(42)} ${r.mode.padEnd(14)} ${r.perSecond.toFixed(0).padStart(6)} ${String(r.requests).padStart(10)}  ${ratio}`,
  );
}
clients.destroy();
await broker.stop();

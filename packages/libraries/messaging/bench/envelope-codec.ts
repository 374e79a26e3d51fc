// Cost of decoding an envelope, the work every consumer does once per message: JSON parse and
// validation, per kind, in the current layout and in the flat layout written by earlier releases
// (still read, upgraded, for messages that were in queues or DLQs when that change deployed).
//
//   pnpm bench                       # with the other micro-benchmarks
//   node packages/libraries/messaging/bench/envelope-codec.ts   # alone; BENCH_DECODES sets the count
import { decodeEnvelope } from "../src/index.ts";

const decodes = Number(process.env.BENCH_DECODES ?? 50_000);
const sagaId = "6f1c1a4e-3c7b-4a37-9d3e-2a1b0c9d8e7f";
const common = {
  name: "ReserveCredit",
  sagaId,
  sagaName: "create-order",
  sagaVersion: 1,
  sentAt: "2026-01-01T00:00:00.000Z",
  payload: { customerId: "c-1", orderId: sagaId, amountCents: 1200, note: "x".repeat(200) },
  trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
};
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const signature = "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const command = {
  ...common,
  messageId: id(1),
  kind: "command",
  step: "reserve-credit",
  attempt: 1,
  compensation: false,
  idempotencyKey: `${sagaId}:reserve-credit`,
  replyTo: "dev-saga-replies",
  signature,
};
const reply = {
  ...common,
  messageId: id(2),
  kind: "reply",
  name: "CreditReserved",
  step: "reserve-credit",
  attempt: 1,
  compensation: false,
  causationId: id(1),
};
const bodies: Record<string, object> = {
  "command (action, either layout)": command,
  "command (compensation)": {
    ...command,
    compensation: true,
    idempotencyKey: `${sagaId}:reserve-credit:compensation`,
    actionKey: `${sagaId}:reserve-credit`,
  },
  reply,
  event: { ...common, messageId: id(3), kind: "event", name: "saga.completed" },
  "flat layout: compensation command": {
    ...command,
    compensation: true,
    idempotencyKey: `${sagaId}:reserve-credit:compensation`,
  },
  "flat layout: reply": { ...reply, replyTo: null },
  "flat layout: event": {
    ...common,
    messageId: id(3),
    kind: "event",
    name: "saga.completed",
    step: "(saga)",
    attempt: 1,
    compensation: false,
    replyTo: null,
  },
};

const only = process.env.BENCH_LAYOUT;
const rounds = 5;
for (const [what, body] of Object.entries(bodies)) {
  if (only === "flat" && !what.startsWith("flat") && !what.includes("either")) continue;
  const text = JSON.stringify(body);
  for (let i = 0; i < 5_000; i++) decodeEnvelope(text); // warm up the JIT
  // The best of several rounds, in CPU time: on a shared machine wall time and the slower rounds
  // measure the neighbours.
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < decodes; i++) decodeEnvelope(text);
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  console.log(
    `decode ${what.padEnd(34)} ${((best * 1e6) / decodes).toFixed(0).padStart(6)} ns/message (CPU)  ${Math.round(decodes / (best / 1000)).toLocaleString("en")} /s`,
  );
}

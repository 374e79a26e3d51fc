// What the observability calls cost on a saga's path with tracing off, without the noise of a
// whole-system run on a shared machine: one unit is what the code does per hop (a saga log
// context, a span that is a no-op without the SDK, a counter and a histogram update), and one
// transition line at info level through the logger's mixin into a null stream.
//
//   node packages/tools/bench/src/observability-cost.ts
import { Writable } from "node:stream";
import {
  counter,
  createLogger,
  createMetricsRegistry,
  histogram,
  inSpan,
  withSagaContext,
} from "@sagaworks/platform";

const registry = createMetricsRegistry({ process: "cost" });
const applied = counter(registry, { name: "cost_total", help: "cost", labelNames: ["saga"] });
const duration = histogram(registry, {
  name: "cost_seconds",
  help: "cost",
  labelNames: ["saga", "step"],
});
const logger = createLogger({
  name: "cost",
  destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
});
const context = { sagaId: "8a4c6d2e-0000-4000-8000-000000000000", saga: "create-order" };

const hop = () =>
  withSagaContext({ ...context, step: "reserve-credit", attempt: 1 }, () =>
    inSpan("saga.transaction", {}, async () => {
      applied.inc({ saga: "create-order" });
      duration.observe({ saga: "create-order", step: "reserve-credit" }, 0.01);
    }),
  );
const transitionLine = () =>
  withSagaContext(context, async () => logger.info({ from: "a", to: "b" }, "saga a → b"));

async function microseconds(work: () => Promise<unknown>, times: number): Promise<number> {
  for (let i = 0; i < times / 10; i++) await work();
  const start = process.hrtime.bigint();
  for (let i = 0; i < times; i++) await work();
  return Number(process.hrtime.bigint() - start) / times / 1000;
}

const perHop = await microseconds(hop, 200_000);
const perLine = await microseconds(transitionLine, 200_000);
// create-order: 4 steps (1 HTTP, 3 commands), 5 lifecycle events, about 30 hops (contexts,
// spans, sends, handlers, replies) and 6 transition lines per saga.
const perSaga = 30 * perHop + 6 * perLine;
console.log(
  JSON.stringify({
    microsecondsPerHop: Number(perHop.toFixed(2)),
    microsecondsPerTransitionLine: Number(perLine.toFixed(2)),
    estimatedMicrosecondsPerSaga: Math.round(perSaga),
  }),
);

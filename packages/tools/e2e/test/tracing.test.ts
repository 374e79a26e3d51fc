// One trace per saga, across the orchestrator, the customer service's HTTP step and both
// participants, read from an in-memory span exporter.
import { waitFor } from "@sagaworks/messaging/testing";
import {
  type InMemoryTracing,
  type ReadableSpan,
  startInMemoryTracing,
} from "@sagaworks/platform/testing";
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const TOKEN = "tracing-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
let tracing: InMemoryTracing;
let system: RunningSystem;
let sagaId = "";

beforeAll(async () => {
  tracing = startInMemoryTracing();
  system = await startTestSystem("one trace per saga", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: TOKEN,
  });
  const customerId = await openCustomer(system, 10_000);
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const started = await post(
    `${system.urls.orchestrator}/sagas/create-order`,
    {
      input: {
        customerId,
        items: [{ sku: "book", quantity: 1, unitPriceCents: 1_000 }],
        totalCents: 1_000,
      },
    },
    auth,
  );
  sagaId = ((await started.json()) as { sagaId: string }).sagaId;
  // The last hop: the orchestrator applied ApproveOrder's reply.
  await waitFor(() => spansOfSaga().some((s) => s.name === "saga.reply OrderApproved"), {
    timeoutMs: 30_000,
    description: "the reply of the last step in the trace",
  });
}, 180_000);

afterAll(async () => {
  if (system) await stopSystemAndDropSchemas(system);
  await tracing?.shutdown();
});

function spansOfSaga(): ReadableSpan[] {
  return tracing.spans().filter((s) => s.attributes["saga.id"] === sagaId);
}

describe("tracing a saga", () => {
  it("puts every hop of the saga in one trace, each span the child of the hop before", () => {
    const start = tracing
      .spans()
      .find((s) => s.name === "saga.start" && s.attributes["saga.id"] === sagaId);
    expect(start).toBeDefined();
    const traceId = start?.spanContext().traceId;
    const trace = tracing.spans().filter((s) => s.spanContext().traceId === traceId);
    // Every span naming the saga is in its trace.
    expect(spansOfSaga().every((s) => s.spanContext().traceId === traceId)).toBe(true);

    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const find = (name: string) => {
      const span = trace.find((s) => s.name === name);
      expect(span, `span ${name}`).toBeDefined();
      return span as ReadableSpan;
    };
    /** The names of a span's ancestors, nearest first; each parent must be in the trace. */
    const ancestors = (span: ReadableSpan): string[] => {
      const names: string[] = [];
      for (let parent = span.parentSpanContext?.spanId; parent; ) {
        const next = byId.get(parent);
        expect(next, `parent of ${span.name}`).toBeDefined();
        names.push(next?.name ?? "");
        parent = next?.parentSpanContext?.spanId;
      }
      return names;
    };

    const http = find("saga.http GET customer");
    const customer = trace.find((s) => s.name.startsWith("HTTP GET /customers"));
    expect(customer?.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    const createOrder = find("saga.handle CreateOrder");
    const reserveCredit = find("saga.handle ReserveCredit");
    const approveOrder = find("saga.handle ApproveOrder");
    // In order: the start, the HTTP step, then each command after the reply to the one before.
    expect(ancestors(http)).toContain("saga.start");
    // The start makes its read-only first call before it commits, so the call and the first
    // command are both the start's children, the call answered before the command was sent.
    expect(ancestors(createOrder)).toEqual(
      expect.arrayContaining(["saga.send CreateOrder", "saga.start"]),
    );
    const micros = ([seconds, nanos]: [number, number]) => seconds * 1e6 + nanos / 1e3;
    expect(micros(http.endTime)).toBeLessThanOrEqual(
      micros(find("saga.send CreateOrder").startTime),
    );
    // The three commands go as one chain (the system's default): each participant sends the
    // next command itself, from inside its handler's span.
    expect(ancestors(reserveCredit)).toContain("saga.handle CreateOrder");
    expect(ancestors(approveOrder)).toEqual(
      expect.arrayContaining(["saga.handle ReserveCredit", "saga.handle CreateOrder"]),
    );
    expect(ancestors(find("saga.reply OrderApproved"))).toContain("saga.handle ApproveOrder");
    expect(
      ancestors(trace.find((s) => s.name === "saga.transition reply") as ReadableSpan),
    ).toContain("saga.transaction");
    // No span of the trace lacks its parent: the trace is whole.
    for (const span of trace) ancestors(span);
  });

  it("names the saga, step and attempt on the handler, transition and send spans", () => {
    for (const name of [
      "saga.handle ReserveCredit",
      "saga.send CreateOrder",
      "saga.transition reply",
    ]) {
      const span = spansOfSaga().find((s) => s.name === name);
      expect(span?.attributes, name).toMatchObject({
        "saga.id": sagaId,
        "saga.step": expect.any(String),
        "saga.attempt": 1,
      });
    }
    expect(
      spansOfSaga().find((s) => s.name === "saga.handle ReserveCredit")?.attributes,
    ).toMatchObject({
      "saga.name": "create-order",
      "saga.step": "reserve-credit",
    });
  });
});

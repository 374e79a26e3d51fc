// The answers of `POST /events/:name` and of the outside-events queue for each verdict of the
// intake, over an in-memory intake (the intake itself runs against Postgres in
// test/await-event.test.ts).
import { silentLogger } from "@sagaworks/platform";
import { createServiceApp, type ServiceApp } from "@sagaworks/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeOutsideEvent, handleOutsideEvent } from "./event-consumer.ts";
import type { EventVerdict, IncomingEvent } from "./event-intake.ts";
import { eventRoutes } from "./event-routes.ts";

let verdict: EventVerdict = { kind: "no-wait", name: "PaymentCaptured" };
const received: IncomingEvent[] = [];
const intake = {
  async receive(event: IncomingEvent) {
    received.push(event);
    return verdict;
  },
};

let app: ServiceApp;
beforeAll(async () => {
  app = await createServiceApp({ logger: silentLogger(), title: "events" });
  await app.register(eventRoutes, { events: intake });
  await app.ready();
});
afterAll(() => app.close());

const post = (payload: Record<string, unknown>) =>
  app.inject({
    method: "POST",
    url: "/events/PaymentCaptured",
    payload,
  });

describe("POST /events/:name", () => {
  it("says no saga waits for an event no deployed definition waits for", async () => {
    verdict = { kind: "no-wait", name: "PaymentCaptured" };
    const response = await post({ eventId: "e-1", payload: { paymentId: "p" } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "EVENT_WAIT_NOT_FOUND" });
    expect(received.at(-1)).toEqual({
      name: "PaymentCaptured",
      eventId: "e-1",
      payload: { paymentId: "p" },
    });
  });

  it("answers 202 with the expiry for a kept early event", async () => {
    verdict = { kind: "kept", expiresAt: "2026-12-07T01:00:00.000Z" };
    const response = await post({ eventId: "e-2", payload: {} });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ status: "kept", expiresAt: "2026-12-07T01:00:00.000Z" });
  });

  it("refuses a body without an event id", async () => {
    const response = await post({ payload: {} });
    expect(response.statusCode).toBe(400);
  });
});

describe("the outside-events queue", () => {
  it("dead-letters what can never apply, with the reason, and deletes the rest", async () => {
    const event = { name: "PaymentCaptured", eventId: "e-3", payload: {} };
    verdict = { kind: "no-wait", name: "PaymentCaptured" };
    expect(await handleOutsideEvent(intake, event)).toMatchObject({
      type: "poison",
      reason: "no deployed saga waits for PaymentCaptured",
    });
    verdict = {
      kind: "late",
      sagaId: "s",
      step: "await-payment",
      sagaStatus: "completed",
      note: "",
    };
    expect(await handleOutsideEvent(intake, event)).toMatchObject({ type: "ack" });
  });

  it("refuses a body that is not an event", () => {
    expect(() => decodeOutsideEvent("{")).toThrow(/must be JSON/);
    expect(() => decodeOutsideEvent('{"name":"X"}')).toThrow(/eventId/);
  });
});

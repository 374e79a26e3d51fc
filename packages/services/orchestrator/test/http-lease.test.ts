import { waitFor } from "@sagaworks/messaging/testing";
import { describe, expect, it } from "vitest";
import {
  cleanupsAfterEach,
  createTestOrchestrator,
  shippedDefinitions,
  startCustomerServer,
  startOrchestrator,
  startOrderThroughApi,
  testEnv,
} from "./harness.ts";

const definitions = await shippedDefinitions();

const cleanups = cleanupsAfterEach();

describe("an HTTP step written by a commit", () => {
  it("is leased to its writer; if the writer dies before calling, a replica calls once the lease runs out", async () => {
    const env = await testEnv("http lease");
    cleanups.push(() => env.close());
    const customer = await startCustomerServer();
    cleanups.push(() => customer.close());
    // The writer commits the start and dies before making the call: its workers never run.
    const writer = await createTestOrchestrator(env, {
      definitions,
      serviceUrls: { customer: customer.url },
      // The call goes through the outbox, as every call but a start's read-only first one does.
      options: { inlineReadTimeoutMs: 0 },
    });
    const sagaId = await startOrderThroughApi(writer, "c-1", 2_500);
    const [call] = (await env.db.knex("saga_outbox").where({ kind: "http" })) as {
      id: string;
      attempts: number;
      available_at: Date;
    }[];
    // Leased to the writer, with the attempt it was about to make counted.
    expect(call?.attempts).toBe(1);
    expect(new Date(call?.available_at ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(customer.calls).toBe(0);

    // The lease runs out; another replica's poll makes the call and applies the answer once.
    await env.db
      .knex("saga_outbox")
      .where({ id: call?.id })
      .update({
        available_at: new Date(Date.now() - 1_000),
      });
    const replica = await startOrchestrator(env, {
      definitions,
      serviceUrls: { customer: customer.url },
    });
    cleanups.push(() => replica.stop());
    const history = await waitFor(
      async () => {
        const detail = await replica.runtime.load(sagaId);
        return detail.history.some((entry) => entry.eventType === "http-response" && entry.applied)
          ? detail.history
          : undefined;
      },
      { description: "the HTTP step to be answered" },
    );
    expect(history.filter((entry) => entry.eventType === "http-response")).toHaveLength(1);
    expect(customer.calls).toBe(1);
    expect(await env.db.knex("saga_outbox").where({ kind: "http" })).toEqual([]);
  });
});

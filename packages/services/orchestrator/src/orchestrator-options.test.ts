import { describe, expect, it } from "vitest";
import { resolveOrchestratorOptions } from "./orchestrator.ts";

describe("resolveOrchestratorOptions", () => {
  it("gives an explicit undefined the default, as if the key were absent", () => {
    const explicit = resolveOrchestratorOptions({
      clock: undefined,
      random: undefined,
      options: {
        replyConcurrency: undefined,
        replyWaitTimeSeconds: undefined,
        timerPollIntervalMs: undefined,
        holdStepTimeoutsMaxMs: undefined,
        relayPollIntervalMs: undefined,
        maxReceiveCount: undefined,
        outboxMaxAttempts: undefined,
        applyTopology: undefined,
        eventSubscribers: undefined,
        stepEvents: undefined,
      },
    });
    expect(explicit).toMatchObject({
      replyConcurrency: 10,
      replyWaitTimeSeconds: 20,
      timerPollIntervalMs: 500,
      holdStepTimeoutsMaxMs: 10_000,
      relayPollIntervalMs: 1_000,
      maxReceiveCount: 5,
      outboxMaxAttempts: 5,
      applyTopology: true,
      eventSubscribers: [],
      stepEvents: false,
    });
    expect(explicit.clock()).toBeInstanceOf(Date);
    expect(explicit.random).toBe(Math.random);
    const absent = resolveOrchestratorOptions({});
    expect({ ...absent, clock: null }).toEqual({ ...explicit, clock: null });
  });
});

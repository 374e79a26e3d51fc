import { SQSClient } from "@aws-sdk/client-sqs";
import { DEV_COMMAND_KEY } from "@sagaworks/messaging";
import { createMetricsRegistry, type Database, silentLogger } from "@sagaworks/platform";
import { describe, expect, it } from "vitest";
import { PARTICIPANT_DEFAULTS, resolveParticipantOptions } from "./participant-options.ts";

// The resolver only passes the database on; nothing here opens it.
const db = { kind: "embedded" } as unknown as Database;
const required = {
  service: "account",
  prefix: "t",
  db,
  sqs: new SQSClient({ region: "us-east-1" }),
  logger: silentLogger(),
  handlers: {},
};

describe("resolveParticipantOptions", () => {
  it("gives an explicit undefined the default, as if the key were absent", () => {
    const explicit = resolveParticipantOptions({
      ...required,
      concurrency: undefined,
      waitTimeSeconds: undefined,
      maxReceiveCount: undefined,
      commandKeys: undefined,
      clock: undefined,
      metrics: undefined,
    });
    expect(explicit.concurrency).toBe(PARTICIPANT_DEFAULTS.concurrency);
    expect(explicit.concurrency).toBe(10);
    expect(explicit.waitTimeSeconds).toBe(20);
    expect(explicit.maxReceiveCount).toBeUndefined();
    expect(explicit.commandKeys).toEqual({ current: DEV_COMMAND_KEY });
    expect(explicit.clock()).toBeInstanceOf(Date);
    expect(explicit.metrics).toBeUndefined();
    const absent = resolveParticipantOptions(required);
    expect({ ...absent, clock: null }).toEqual({ ...explicit, clock: null });
  });

  it("keeps every value given, a zero wait included", () => {
    const metrics = createMetricsRegistry({ process: "participant-options-test" });
    const clock = () => new Date(0);
    const resolved = resolveParticipantOptions({
      ...required,
      concurrency: 3,
      waitTimeSeconds: 0,
      maxReceiveCount: 7,
      commandKeys: { current: "k".repeat(32) },
      clock,
      metrics,
    });
    expect(resolved).toMatchObject({
      service: "account",
      db,
      concurrency: 3,
      waitTimeSeconds: 0,
      maxReceiveCount: 7,
      commandKeys: { current: "k".repeat(32) },
    });
    expect(resolved.clock).toBe(clock);
    expect(resolved.metrics).toBe(metrics);
  });
});

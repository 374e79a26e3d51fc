import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DEFAULT_DEFINITIONS_DIR,
  environmentTopology,
  loadSagaDefinitions,
  participantsOf,
  topologySettings,
  topologySettingsShape,
} from "./environment.ts";

const settingsSchema = z.object(topologySettingsShape);

describe("the environment topology", () => {
  it("takes its participants from the shipped saga definitions, not from a hard-coded list", async () => {
    const definitions = await loadSagaDefinitions(DEFAULT_DEFINITIONS_DIR);
    // "sagas" is the orchestrator's own queue: order-with-deposit starts child sagas.
    expect(participantsOf(definitions)).toEqual(["account", "order", "sagas"]);
  });

  it("takes the receive count and the event subscribers from one configuration", async () => {
    const definitions = await loadSagaDefinitions(DEFAULT_DEFINITIONS_DIR);
    const settings = topologySettings(
      settingsSchema.parse({
        MAX_RECEIVE_COUNT: "7",
        SAGAWORKS_EVENT_SUBSCRIBERS: "billing, audit",
      }),
    );
    const topology = environmentTopology({ prefix: "dev", definitions, settings });
    expect(
      topology.queues.filter((q) => q.maxReceiveCount !== undefined).map((q) => q.maxReceiveCount),
    ).toEqual([7, 7, 7, 7, 7, 7, 7]);
    expect(topology.subscriptions.map((s) => s.queue)).toEqual([
      "dev-orchestrator-outside-events",
      "dev-billing-saga-events",
      "dev-audit-saga-events",
    ]);
  });

  it("has no subscriber nobody reads by default", async () => {
    const definitions = await loadSagaDefinitions(DEFAULT_DEFINITIONS_DIR);
    const topology = environmentTopology({
      prefix: "dev",
      definitions,
      settings: topologySettings(settingsSchema.parse({})),
    });
    // Only the orchestrator's own queue of outside events is subscribed.
    expect(topology.subscriptions.map((s) => s.queue)).toEqual(["dev-orchestrator-outside-events"]);
    expect(topology.queues.map((q) => q.name)).not.toContain("dev-saga-audit-saga-events");
  });

  it("refuses a folder without definitions, saying where it looked", async () => {
    const empty = await mkdtemp(join(tmpdir(), "no-definitions-"));
    await expect(loadSagaDefinitions(empty)).rejects.toThrow(
      /No \*\.saga\.json files in .*no-definitions-/,
    );
  });
});

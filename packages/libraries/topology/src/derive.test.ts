import { describe, expect, it } from "vitest";
import { deriveTopology, eventNamesRead } from "./derive.ts";

describe("deriveTopology", () => {
  it("gives each participant a command queue and DLQ, the orchestrator its replies and outside events, and the topics", () => {
    const topology = deriveTopology({
      prefix: "dev",
      participants: ["order", "account"],
      maxReceiveCount: 4,
    });
    expect(topology.queues.map((q) => `${q.name} (${q.role})`)).toEqual([
      "dev-order-commands-dlq (dead-letter)",
      "dev-order-commands (commands)",
      "dev-account-commands-dlq (dead-letter)",
      "dev-account-commands (commands)",
      "dev-saga-replies-dlq (dead-letter)",
      "dev-saga-replies (replies)",
      "dev-orchestrator-outside-events-dlq (dead-letter)",
      "dev-orchestrator-outside-events (outside-events)",
    ]);
    expect(topology.queues.find((q) => q.name === "dev-order-commands")).toMatchObject({
      deadLetterQueue: "dev-order-commands-dlq",
      maxReceiveCount: 4,
    });
    expect(topology.topics).toEqual([{ name: "dev-saga-events" }, { name: "dev-outside-events" }]);
    // Other systems publish their events to the outside-events topic; the orchestrator reads them.
    expect(topology.subscriptions).toEqual([
      {
        topic: "dev-outside-events",
        queue: "dev-orchestrator-outside-events",
        rawMessageDelivery: true,
      },
    ]);
  });

  it("subscribes event consumers with their filter policy", () => {
    const topology = deriveTopology({
      prefix: "pr-12",
      participants: ["order"],
      eventSubscribers: [{ name: "billing", filterPolicy: { name: ["saga.completed"] } }],
    });
    expect(topology.subscriptions).toEqual([
      {
        topic: "pr-12-outside-events",
        queue: "pr-12-orchestrator-outside-events",
        rawMessageDelivery: true,
      },
      {
        topic: "pr-12-saga-events",
        queue: "pr-12-billing-saga-events",
        rawMessageDelivery: true,
        filterPolicy: { name: ["saga.completed"] },
      },
    ]);
  });

  it("names every problem of the input", () => {
    expect(() => deriveTopology({ prefix: "Dev!", participants: [] })).toThrow(
      /prefix: use lower-case .*; participants: declare at least one participant/,
    );
    expect(() => deriveTopology({ prefix: "dev", participants: ["order", "order"] })).toThrow(
      /must be unique/,
    );
    expect(() =>
      deriveTopology({ prefix: "dev", participants: ["order"], maxReceiveCount: 0 }),
    ).toThrow(/maxReceiveCount/);
  });

  it("refuses names SQS would refuse", () => {
    expect(() =>
      deriveTopology({ prefix: "p".repeat(31), participants: ["a".repeat(45)] }),
    ).toThrow(/SQS allows 80/);
  });
});

describe("eventNamesRead", () => {
  const read = (eventSubscribers: Parameters<typeof deriveTopology>[0]["eventSubscribers"]) =>
    eventNamesRead(deriveTopology({ prefix: "dev", participants: ["order"], eventSubscribers }));

  it("is the union of the subscribers' name lists when every one filters by name alone", () => {
    const names = read([
      { name: "billing", filterPolicy: { name: ["saga.completed"] } },
      { name: "audit", filterPolicy: { name: ["saga.failed", "saga.completed"] } },
    ]);
    expect(names && [...names].sort()).toEqual(["saga.completed", "saga.failed"]);
  });

  it("takes every event as read when a subscriber might read any, or none is declared", () => {
    expect(read([])).toBeUndefined();
    expect(
      read([{ name: "billing", filterPolicy: { name: ["saga.completed"] } }, { name: "audit" }]),
    ).toBeUndefined();
    // Filters on other attributes, or with operators, are not read here: they might take any name.
    expect(read([{ name: "audit", filterPolicy: { saga: ["create-order"] } }])).toBeUndefined();
    expect(
      read([{ name: "audit", filterPolicy: { name: [{ prefix: "saga." }] } }]),
    ).toBeUndefined();
    expect(
      read([{ name: "audit", filterPolicy: { name: ["saga.failed"], saga: ["x"] } }]),
    ).toBeUndefined();
  });
});

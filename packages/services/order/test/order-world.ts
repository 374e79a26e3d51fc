// One order service per test, on the shared participant test world of service-kit/testing: its
// own queues, its own database, the participant on the emulator over HTTP, the REST app on a
// real socket.
import { orderService } from "@sagaworks/contracts";
import type { Logger } from "@sagaworks/platform";
import { type ParticipantWorld, startParticipantWorld } from "@sagaworks/service-kit/testing";
import { inject } from "vitest";
import { orderServiceDefinition } from "../src/index.ts";

export type { HttpAnswer } from "@sagaworks/service-kit/testing";

/** A running order service and the helpers to drive it. */
export type OrderWorld = ParticipantWorld;

export function startOrderWorld(
  testName: string,
  options: { logger?: Logger } = {},
): Promise<OrderWorld> {
  return startParticipantWorld({
    testName,
    definition: orderServiceDefinition,
    contract: orderService,
    brokerEndpoint: inject("brokerEndpoint"),
    ...options,
  });
}

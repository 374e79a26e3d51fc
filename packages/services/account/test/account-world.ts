// One account service per test, on the shared participant test world of service-kit/testing: its
// own queues, its own database, the participant on the emulator over HTTP, the REST app on a
// real socket.
import { accountService } from "@sagaworks/contracts";
import type { Logger } from "@sagaworks/platform";
import { type ParticipantWorld, startParticipantWorld } from "@sagaworks/service-kit/testing";
import { inject } from "vitest";
import { accountServiceDefinition } from "../src/index.ts";

export type { HttpAnswer } from "@sagaworks/service-kit/testing";

/** A running account service and the helpers to drive it. */
export type AccountWorld = ParticipantWorld;

export function startAccountWorld(
  testName: string,
  options: { logger?: Logger } = {},
): Promise<AccountWorld> {
  return startParticipantWorld({
    testName,
    definition: accountServiceDefinition,
    contract: accountService,
    brokerEndpoint: inject("brokerEndpoint"),
    ...options,
  });
}

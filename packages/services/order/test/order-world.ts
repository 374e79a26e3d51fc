// One order service per test, on the shared participant test world of service-kit/testing: its
// own queues, its own database, the participant on the emulator over HTTP, the REST app on a
// real socket.
import { orderService } from "@sagaworks/contracts";
import { participantWorldStarter } from "@sagaworks/service-kit/testing";
import { inject } from "vitest";
import { orderServiceDefinition } from "../src/index.ts";

/** Starts one order service for a test; `close()` stops it and drops its database. */
export const startOrderWorld = participantWorldStarter({
  definition: orderServiceDefinition,
  contract: orderService,
  brokerEndpoint: inject("brokerEndpoint"),
});

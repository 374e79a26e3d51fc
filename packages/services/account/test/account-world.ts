// One account service per test, on the shared participant test world of service-kit/testing: its
// own queues, its own database, the participant on the emulator over HTTP, the REST app on a
// real socket.
import { accountService } from "@sagaworks/contracts";
import { participantWorldStarter } from "@sagaworks/service-kit/testing";
import { inject } from "vitest";
import { accountServiceDefinition } from "../src/index.ts";

/** Starts one account service for a test; `close()` stops it and drops its database. */
export const startAccountWorld = participantWorldStarter({
  definition: accountServiceDefinition,
  contract: accountService,
  brokerEndpoint: inject("brokerEndpoint"),
});

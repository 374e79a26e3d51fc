import type { Migration } from "@sagaworks/platform";
import { createSagaTables } from "./0001-create-saga-tables.ts";
import { outboxParkingAndJunkReplies } from "./0002-outbox-parking-and-junk-replies.ts";
import { pendingByStep } from "./0003-pending-by-step.ts";
import { eventWaits } from "./0005-event-waits.ts";
import { sagaRetention } from "./0006-saga-retention.ts";

/** The orchestrator's migrations, in order. */
export const orchestratorMigrations: readonly Migration[] = [
  createSagaTables,
  outboxParkingAndJunkReplies,
  pendingByStep,
  eventWaits,
  sagaRetention,
];

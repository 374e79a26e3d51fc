import type { Logger, Shutdown } from "@sagaworks/platform";
import {
  type ListenableApp,
  type ProcessTelemetry,
  type StartedService,
  startParticipantProcess,
} from "@sagaworks/service-kit";
import { accountServiceDefinition } from "./account-service.ts";
import type { AccountConfig } from "./config.ts";

/** Starts the account service as a process: the `start` of `runService`. */
export function startAccountProcess(
  config: AccountConfig,
  logger: Logger,
  shutdown: Shutdown,
  telemetry?: ProcessTelemetry,
): Promise<StartedService<ListenableApp>> {
  return startParticipantProcess(
    accountServiceDefinition,
    { config, schema: config.ACCOUNT_DB_SCHEMA, concurrency: config.ACCOUNT_COMMAND_CONCURRENCY },
    logger,
    shutdown,
    telemetry,
  );
}

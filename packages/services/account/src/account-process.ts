import type { Logger, Shutdown } from "@sagaworks/platform";
import type {
  ListenableApp,
  ProcessStartup,
  ProcessTelemetry,
  StartedService,
} from "@sagaworks/service-kit";
import { startParticipantProcess } from "@sagaworks/service-kit/participant";
import { accountServiceDefinition } from "./account-service.ts";
import type { AccountConfig } from "./config.ts";

/** Starts the account service as a process: the `start` of `runService`. */
export function startAccountProcess(
  config: AccountConfig,
  logger: Logger,
  shutdown: Shutdown,
  telemetry?: ProcessTelemetry,
  startup?: ProcessStartup,
): Promise<StartedService<ListenableApp>> {
  return startParticipantProcess(
    accountServiceDefinition,
    { config, schema: config.ACCOUNT_DB_SCHEMA, concurrency: config.ACCOUNT_COMMAND_CONCURRENCY },
    logger,
    shutdown,
    telemetry,
    startup,
  );
}

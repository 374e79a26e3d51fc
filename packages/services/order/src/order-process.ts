import type { Logger, Shutdown } from "@sagaworks/platform";
import type {
  ListenableApp,
  ProcessStartup,
  ProcessTelemetry,
  StartedService,
} from "@sagaworks/service-kit";
import { startParticipantProcess } from "@sagaworks/service-kit/participant";
import type { OrderConfig } from "./config.ts";
import { orderServiceDefinition } from "./order-service.ts";

/** Starts the order service as a process: the `start` of `runService`. */
export function startOrderProcess(
  config: OrderConfig,
  logger: Logger,
  shutdown: Shutdown,
  telemetry?: ProcessTelemetry,
  startup?: ProcessStartup,
): Promise<StartedService<ListenableApp>> {
  return startParticipantProcess(
    orderServiceDefinition,
    { config, schema: config.ORDER_DB_SCHEMA, concurrency: config.ORDER_COMMAND_CONCURRENCY },
    logger,
    shutdown,
    telemetry,
    startup,
  );
}

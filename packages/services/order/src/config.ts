import { dbSchemaName } from "@sagaworks/service-kit";
import { participantConfigShape } from "@sagaworks/service-kit/participant";
import { z } from "zod";

/** The order service's environment, read once at start-up by `loadConfig`. */
export const orderConfigSchema = z.object({
  /** What every participant process reads; HTTP port 3001 unless PORT is set. */
  ...participantConfigShape(3001),
  /** Postgres schema that holds the service's tables (and the SDK's inbox); defaults to `orders`. */
  ORDER_DB_SCHEMA: dbSchemaName("orders"),
  /** Saga commands handled at once by this replica; defaults to 10. */
  ORDER_COMMAND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
});

/** The parsed order-service config. */
export type OrderConfig = z.infer<typeof orderConfigSchema>;

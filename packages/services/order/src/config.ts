import { commandKeysConfigShape, replyKeyConfigShape } from "@sagaworks/messaging";
import { baseConfigShape } from "@sagaworks/platform";
import { dbSchemaName, listenConfigShape, serviceAuthConfigShape } from "@sagaworks/service-kit";
import { z } from "zod";

/** The order service's environment, read once at start-up by `loadConfig`. */
export const orderConfigSchema = z.object({
  ...baseConfigShape,
  ...serviceAuthConfigShape,
  ...commandKeysConfigShape,
  ...replyKeyConfigShape,
  /** HTTP port, 3001 by default, and interface, loopback by default. */
  ...listenConfigShape(3001),
  /** Postgres schema that holds the service's tables (and the SDK's inbox); defaults to `orders`. */
  ORDER_DB_SCHEMA: dbSchemaName("orders"),
  /** Saga commands handled at once by this replica; defaults to 10. */
  ORDER_COMMAND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
});

/** The parsed order-service config. */
export type OrderConfig = z.infer<typeof orderConfigSchema>;

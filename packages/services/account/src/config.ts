import { commandKeysConfigShape, replyKeyConfigShape } from "@sagaworks/messaging";
import { baseConfigShape } from "@sagaworks/platform";
import { dbSchemaName, listenConfigShape, serviceAuthConfigShape } from "@sagaworks/service-kit";
import { z } from "zod";

/** The account service's environment, read once at start-up by `loadConfig`. */
export const accountConfigSchema = z.object({
  ...baseConfigShape,
  ...serviceAuthConfigShape,
  ...commandKeysConfigShape,
  ...replyKeyConfigShape,
  /** HTTP port, 3002 by default, and interface, loopback by default. */
  ...listenConfigShape(3002),
  /** Postgres schema that holds the service's tables (and the SDK's inbox); defaults to `accounts`. */
  ACCOUNT_DB_SCHEMA: dbSchemaName("accounts"),
  /** Saga commands handled at once by this replica; defaults to 10. */
  ACCOUNT_COMMAND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
});

/** The parsed account-service config. */
export type AccountConfig = z.infer<typeof accountConfigSchema>;

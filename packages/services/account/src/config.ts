import { dbSchemaName } from "@sagaworks/service-kit";
import { participantConfigShape } from "@sagaworks/service-kit/participant";
import { z } from "zod";

/** The account service's environment, read once at start-up by `loadConfig`. */
export const accountConfigSchema = z.object({
  /** What every participant process reads; HTTP port 3002 unless PORT is set. */
  ...participantConfigShape(3002),
  /** Postgres schema that holds the service's tables (and the SDK's inbox); defaults to `accounts`. */
  ACCOUNT_DB_SCHEMA: dbSchemaName("accounts"),
  /** Saga commands handled at once by this replica; defaults to 10. */
  ACCOUNT_COMMAND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
});

/** The parsed account-service config. */
export type AccountConfig = z.infer<typeof accountConfigSchema>;

import { commandKeysConfigShape, replyKeyConfigShape } from "@sagaworks/messaging";
import { baseConfigShape } from "@sagaworks/platform";
import { serviceAuthConfigShape } from "@sagaworks/service-kit";
import { z } from "zod";

/** The account service's environment, read once at start-up by `loadConfig`. */
export const accountConfigSchema = z.object({
  ...baseConfigShape,
  ...serviceAuthConfigShape,
  ...commandKeysConfigShape,
  ...replyKeyConfigShape,
  /** HTTP port; defaults to 3002 (0 lets the OS pick one, for tests). */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3002),
  /** Interface to listen on; defaults to loopback `127.0.0.1`. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Postgres schema that holds the service's tables (and the SDK's inbox); defaults to `accounts`. */
  ACCOUNT_DB_SCHEMA: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      "use lower-case letters, digits and underscores, starting with a letter or underscore",
    )
    .default("accounts"),
  /** Saga commands handled at once by this replica; defaults to 10. */
  ACCOUNT_COMMAND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
});

/** The parsed account-service config. */
export type AccountConfig = z.infer<typeof accountConfigSchema>;

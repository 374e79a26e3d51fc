import { baseConfigShape } from "@sagaworks/platform";
import { serviceAuthConfigShape } from "@sagaworks/service-kit";
import { z } from "zod";

/** The customer service's environment, read once at start-up by `loadConfig`. */
export const customerConfigSchema = z.object({
  /** pino level; defaults to `info`. */
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  /** `dev` gives SERVICE_WRITE_TOKEN a development default; elsewhere it must be set. */
  SAGAWORKS_ENV: baseConfigShape.SAGAWORKS_ENV,
  ...serviceAuthConfigShape,
  /** postgres:// URL; unset means an embedded, in-memory Postgres (PGlite). */
  DATABASE_URL: baseConfigShape.DATABASE_URL,
  /** HTTP port; defaults to 3003 (0 lets the OS pick one, for tests). */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3003),
  /** Interface to listen on; defaults to loopback `127.0.0.1`. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Postgres schema that holds the service's tables; defaults to `customer`. */
  CUSTOMER_DB_SCHEMA: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      "use lower-case letters, digits and underscores, starting with a letter or underscore",
    )
    .default("customer"),
  /** `true` (the default) restores the seed customers at start-up; `false` leaves data alone. */
  CUSTOMER_SEED: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((value) => value === "true"),
});

/** The parsed customer-service config. */
export type CustomerConfig = z.infer<typeof customerConfigSchema>;

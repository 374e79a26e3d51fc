import { baseConfigShape } from "@sagaworks/platform";
import { dbSchemaName, listenConfigShape, serviceAuthConfigShape } from "@sagaworks/service-kit";
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
  /** HTTP port, 3003 by default, and interface, loopback by default. */
  ...listenConfigShape(3003),
  /** Postgres schema that holds the service's tables; defaults to `customer`. */
  CUSTOMER_DB_SCHEMA: dbSchemaName("customer"),
  /** `true` (the default) restores the seed customers at start-up; `false` leaves data alone. */
  CUSTOMER_SEED: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((value) => value === "true"),
});

/** The parsed customer-service config. */
export type CustomerConfig = z.infer<typeof customerConfigSchema>;

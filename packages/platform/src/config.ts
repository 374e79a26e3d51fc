import { z } from "zod";
import { PlatformError, PlatformErrorCode } from "./errors.ts";

/** One problem found in the environment: the variable and what is wrong with it. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * Reads a process's environment through one zod schema, once, at start-up.
 *
 * Every problem is listed in one error (`CONFIG_INVALID`), so an operator fixes them all in one
 * go instead of one per restart. Keys of the schema are the environment variable names.
 */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  // Empty strings mean "unset" in shell environments (`FOO= cmd`), so they fall back to defaults.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== "") cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join(".") || "(environment)",
    message: issue.message,
  }));
  const list = problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n");
  throw new PlatformError(
    PlatformErrorCode.configInvalid,
    `The environment has ${problems.length} problem(s); fix them and start again:\n${list}`,
    { problems },
  );
}

/** Fields every Sagaworks process understands. Spread them into a process's own schema. */
export const baseConfigShape = {
  /** Log level for pino; defaults to `info`. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Postgres connection string; when unset the process uses embedded Postgres (PGlite). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  /** SQS/SNS endpoint (LocalStack, fauxqs); unset means AWS, or the embedded emulator. */
  AWS_ENDPOINT_URL: z.url({ message: "must be a URL such as http://127.0.0.1:4566" }).optional(),
  /** AWS region; defaults to `us-east-1`. */
  AWS_REGION: z.string().min(1).default("us-east-1"),
  /** `embedded` starts fauxqs in-process when no endpoint is given; `aws` uses real AWS. */
  SAGAWORKS_BROKER: z.enum(["embedded", "aws"]).default("embedded"),
  /** Prefix of every queue and topic name, so environments share an account safely. */
  SAGAWORKS_ENV_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]{0,30}$/, "use lower-case letters, digits and dashes, at most 30")
    .default("dev"),
};

/** The base config: what every process reads. */
export const baseConfigSchema = z.object(baseConfigShape);
/** The parsed base config. */
export type BaseConfig = z.infer<typeof baseConfigSchema>;

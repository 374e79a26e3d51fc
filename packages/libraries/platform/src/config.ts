import { z } from "zod";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

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
  options: {
    /**
     * Apply the safe defaults of a deployed process (see deploymentProblems); defaults to true.
     * Client tools (the ops CLI) that check their own needs turn it off.
     */
    deploymentChecks?: boolean;
  } = {},
): z.infer<Schema> {
  // Empty strings mean "unset" in shell environments (`FOO= cmd`), so they fall back to defaults.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== "") cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  const problems: ConfigProblem[] = [
    ...(result.success ? [] : result.error.issues).map((issue) => ({
      variable: issue.path.map(String).join(".") || "(environment)",
      message: issue.message,
    })),
    ...(options.deploymentChecks === false ? [] : deploymentProblems(schema, cleaned)),
  ];
  if (result.success && problems.length === 0) return result.data;
  const list = problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n");
  throw PlatformErrors.create(
    PlatformErrorCode.configInvalid,
    `The environment has ${problems.length} problem(s); fix them and start again:\n${list}`,
    { problems },
  );
}

/** `dev` allows the embedded fallbacks; anything else is a deployment that must name its back ends. */
const sagaworksEnv = z.enum(["dev", "production"], { message: "must be dev or production" });

/** True when the environment asks for development mode (`SAGAWORKS_ENV=dev`). */
export function isDevEnvironment(env: Record<string, string | undefined>): boolean {
  return env.SAGAWORKS_ENV === "dev";
}

/**
 * True where development defaults for secrets (service tokens, the command signing key) may
 * apply: `SAGAWORKS_ENV=dev` or the in-process emulator (`SAGAWORKS_BROKER=embedded`). Anything
 * else is a deployment, which must set its secrets or refuse to start.
 */
export function usesDevelopmentDefaults(config: {
  SAGAWORKS_ENV?: string | undefined;
  SAGAWORKS_BROKER?: string | undefined;
}): boolean {
  return config.SAGAWORKS_ENV === "dev" || config.SAGAWORKS_BROKER === "embedded";
}

/**
 * The safe defaults, checked for every process whatever its schema: a process that reads
 * `DATABASE_URL` needs it, and one that reads the broker settings needs `AWS_ENDPOINT_URL` or
 * `SAGAWORKS_BROKER`, unless `SAGAWORKS_ENV=dev` asks for the embedded fallbacks. A deployed
 * process therefore never starts on a private in-memory database or emulator by accident.
 */
function deploymentProblems(schema: z.ZodType, env: Record<string, string>): ConfigProblem[] {
  const reads = schema instanceof z.ZodObject ? new Set(Object.keys(schema.shape)) : new Set();
  const problems: ConfigProblem[] = [];
  if (env.SAGAWORKS_ENV !== undefined && !sagaworksEnv.safeParse(env.SAGAWORKS_ENV).success) {
    // A schema that reads it reports it already.
    if (!reads.has("SAGAWORKS_ENV")) {
      problems.push({ variable: "SAGAWORKS_ENV", message: "must be dev or production" });
    }
    return problems;
  }
  if (isDevEnvironment(env)) return problems;
  if (reads.has("DATABASE_URL") && !env.DATABASE_URL) {
    problems.push({
      variable: "DATABASE_URL",
      message:
        "is required outside development: set it to postgres://user:password@host:5432/db, or set SAGAWORKS_ENV=dev to use an embedded Postgres (PGlite) that lives and dies with this process",
    });
  }
  if (reads.has("SAGAWORKS_BROKER") && !env.AWS_ENDPOINT_URL && !env.SAGAWORKS_BROKER) {
    problems.push({
      variable: "AWS_ENDPOINT_URL",
      message:
        "no broker is named: set SAGAWORKS_BROKER=aws (AWS through its credential chain) or AWS_ENDPOINT_URL (LocalStack, the stack's emulator); SAGAWORKS_BROKER=embedded or SAGAWORKS_ENV=dev starts a private emulator inside this process, for development only",
    });
  }
  return problems;
}

/** Fields every Sagaworks process understands. Spread them into a process's own schema. */
export const baseConfigShape = {
  /** Log level for pino; defaults to `info`. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * `dev` allows the embedded fallbacks (PGlite, in-process emulator) and applies the topology at
   * start-up; defaults to `production`, where DATABASE_URL and a broker are required.
   */
  SAGAWORKS_ENV: sagaworksEnv.default("production"),
  /** Postgres connection string; required unless SAGAWORKS_ENV=dev (then unset means PGlite). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  /** SQS/SNS endpoint (LocalStack, fauxqs); unset means AWS, or the embedded emulator. */
  AWS_ENDPOINT_URL: z.url({ message: "must be a URL such as http://127.0.0.1:4566" }).optional(),
  /** AWS region; defaults to `us-east-1`. */
  AWS_REGION: z.string().min(1).default("us-east-1"),
  /**
   * With no endpoint: `aws` uses real AWS, `embedded` starts fauxqs in this process (development
   * only). Unset: embedded under SAGAWORKS_ENV=dev, otherwise a start-up error.
   */
  SAGAWORKS_BROKER: z.enum(["embedded", "aws"]).optional(),
  /**
   * `true` creates the queues and topic at start-up (the default under SAGAWORKS_ENV=dev);
   * `false` (the default elsewhere) expects them to exist, owned by infra/ or `topology apply`.
   */
  SAGAWORKS_APPLY_TOPOLOGY: z
    .enum(["true", "false"], { message: "must be true or false" })
    .optional(),
  /**
   * Deliveries before SQS moves a message to its DLQ; defaults to 5. The same value configures
   * the redrive policy (topology) and the consumers' last-delivery warning.
   */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
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

/**
 * Whether this process creates the topology at start-up: `SAGAWORKS_APPLY_TOPOLOGY` when set,
 * otherwise on in dev and off elsewhere (where infrastructure owns the queues).
 */
export function shouldApplyTopology(
  config: Pick<BaseConfig, "SAGAWORKS_ENV" | "SAGAWORKS_APPLY_TOPOLOGY">,
): boolean {
  if (config.SAGAWORKS_APPLY_TOPOLOGY !== undefined)
    return config.SAGAWORKS_APPLY_TOPOLOGY === "true";
  return config.SAGAWORKS_ENV === "dev";
}

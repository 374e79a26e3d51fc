// The environment `ops dlq` and `ops sagas` read, the same way the services read theirs: one zod
// schema, every problem listed at once.
import { userInfo } from "node:os";
import { baseConfigShape, loadConfig } from "@sagaworks/platform";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import {
  type TopologySettings,
  topologySettings,
  topologySettingsShape,
} from "@sagaworks/topology";
import { z } from "zod";
import { UsageError } from "../command.ts";

/** What a command needs beyond the prefix: the broker, the orchestrator, the journal database. */
export interface Needs {
  broker?: boolean;
  orchestrator?: boolean;
  database?: boolean;
}

/** The operator's environment, parsed. */
export interface OpsEnvironment {
  prefix: string;
  region: string;
  /** SQS endpoint override; undefined means AWS through the credential chain. */
  endpoint: string | undefined;
  orchestratorUrl: string;
  orchestratorToken: string;
  databaseUrl: string;
  /** Dev only: folder of an embedded journal, when there is no DATABASE_URL. */
  journalDir: string | undefined;
  /** Schema of the replay journal; defaults to `ops`. */
  journalSchema: string;
  definitionsDir: string;
  /** MAX_RECEIVE_COUNT and SAGAWORKS_EVENT_SUBSCRIBERS, read as every process reads them. */
  topology: TopologySettings;
  /**
   * Who acts, recorded in the audit: OPS_ACTOR, else the login name ($USER, $LOGNAME, or the
   * system's name for this user id when a container sets neither); undefined when there is none,
   * and then a command that acts asks for `--actor`.
   */
  actor: string | undefined;
}

/** This user id's name in the system's user database; undefined when it has none (a container's arbitrary uid). */
function loginName(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/** The actor an action is recorded with, or a usage error that says how to name one. */
export function requireActor(actor: string | undefined): string {
  if (actor) return actor;
  throw new UsageError(
    "who acts is unknown here (no OPS_ACTOR, $USER, $LOGNAME or login name): set OPS_ACTOR=<who> (ops sagas actions also take --actor <who>); it is recorded in the audit",
  );
}

const url = z.url({ message: "must be a URL such as http://127.0.0.1:3000" });

/** The schema for a command's needs: what it needs is required, the rest optional. */
function schemaFor(needs: Needs, env: Record<string, string | undefined>) {
  const required = <T extends z.ZodType<string, string>>(
    type: T,
    needed: boolean | undefined,
    what: string,
  ) => (needed ? z.string({ error: `is required: ${what}` }).pipe(type) : type.optional());
  return z.object({
    ...baseConfigShape,
    AWS_ENDPOINT_URL: required(
      url,
      needs.broker && env.SAGAWORKS_BROKER !== "aws",
      "the SQS endpoint of the running system (LocalStack, the emulator), or set SAGAWORKS_BROKER=aws for AWS and its credential chain",
    ),
    /** Base URL of the orchestrator API. */
    ORCHESTRATOR_URL: required(
      url,
      needs.orchestrator,
      "the orchestrator API, e.g. http://127.0.0.1:3000",
    ),
    /** The orchestrator's bearer token. */
    ORCHESTRATOR_API_TOKEN: required(
      z.string().min(16, "must be at least 16 characters"),
      needs.orchestrator,
      "the orchestrator's bearer token",
    ),
    DATABASE_URL: required(
      z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL"),
      needs.database && !env.OPS_JOURNAL_DIR,
      "the Postgres that keeps the replay journal and audit (or, on a dev machine only, OPS_JOURNAL_DIR for an embedded one)",
    ),
    /** Folder of *.saga.json files the topology's participants come from. */
    SAGA_DEFINITIONS_DIR: z.string().default(sagaDefinitionsDir),
    /** Dev only: a folder for an embedded journal database, used when DATABASE_URL is unset. */
    OPS_JOURNAL_DIR: z.string().min(1).optional(),
    /** Schema of the replay journal and audit; defaults to `ops`. */
    OPS_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case schema name")
      .default("ops"),
    // The environment's receive count and event subscribers (whose queues have DLQs too).
    ...topologySettingsShape,
    OPS_ACTOR: z.string().trim().min(1).max(200).optional(),
    USER: z.string().trim().min(1).optional(),
    LOGNAME: z.string().trim().min(1).optional(),
  });
}

/**
 * Reads the environment once. Settings a command needs and that are missing are reported
 * together with any invalid value, in one `CONFIG_INVALID` error.
 */
export function loadOpsEnvironment(
  env: Record<string, string | undefined>,
  needs: Needs,
): OpsEnvironment {
  // A client tool: it asks for exactly what the command needs (above), not for what a deployed
  // service process must have.
  const config = loadConfig(schemaFor(needs, env), env, { deploymentChecks: false });
  return {
    prefix: config.SAGAWORKS_ENV_PREFIX,
    region: config.AWS_REGION,
    endpoint: config.AWS_ENDPOINT_URL,
    orchestratorUrl: config.ORCHESTRATOR_URL ?? "",
    orchestratorToken: config.ORCHESTRATOR_API_TOKEN ?? "",
    databaseUrl: config.DATABASE_URL ?? "",
    journalSchema: config.OPS_DB_SCHEMA,
    journalDir: config.OPS_JOURNAL_DIR,
    definitionsDir: config.SAGA_DEFINITIONS_DIR,
    topology: topologySettings(config),
    actor: config.OPS_ACTOR ?? config.USER ?? config.LOGNAME ?? loginName(),
  };
}

// What every `ops dlq` sub-command starts from: the environment read once, the AWS clients, the
// DLQs of the topology and the orchestrator client; and the option parsers they share.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type DeadLetterQueue, deadLetterQueues } from "@sagaworks/dead-letters";
import { type AwsClients, createAwsClients } from "@sagaworks/platform";
import { type OpsIo, UsageError } from "../command.ts";
import { OrchestratorClient } from "../sagas/orchestrator-client.ts";
import {
  loadOpsEnvironment,
  type Needs,
  type OpsEnvironment,
  requireActor,
} from "./environment.ts";
import { parseDuration } from "./format.ts";
import { ReplayJournal, type RunMode } from "./journal.ts";
import { opsTopology } from "./queues.ts";

/** What a sub-command works with. */
export interface Context {
  env: OpsEnvironment;
  clients: AwsClients;
  queues: DeadLetterQueue[];
  orchestrator: OrchestratorClient;
}

/** Runs `work` with the context, destroying the clients after. */
export async function withContext<T>(
  io: OpsIo,
  needs: Needs,
  work: (ctx: Context) => Promise<T>,
): Promise<T> {
  const env = loadOpsEnvironment(io.env, { broker: true, ...needs });
  const clients = createAwsClients({ endpoint: env.endpoint, region: env.region });
  try {
    const topology = await opsTopology(env, resolve(io.cwd, env.definitionsDir));
    const queues = await deadLetterQueues(clients.sqs, topology);
    const orchestrator = new OrchestratorClient({
      baseUrl: env.orchestratorUrl,
      token: env.orchestratorToken,
    });
    return await work({ env, clients, queues, orchestrator });
  } finally {
    clients.destroy();
  }
}

/** Opens the replay journal (Postgres, or the dev folder). */
export function openJournal(io: OpsIo, env: OpsEnvironment): Promise<ReplayJournal> {
  const dataDir = env.journalDir ? resolve(io.cwd, env.journalDir) : undefined;
  if (dataDir && !env.databaseUrl) mkdirSync(dataDir, { recursive: true });
  return ReplayJournal.open({
    databaseUrl: env.databaseUrl,
    dataDir,
    schema: env.journalSchema,
  });
}

/**
 * What a replay or deletion records with: for an executed run, the opened journal and the actor
 * (saying so when it resumes an interrupted run of this mode); a dry run records nothing, so it
 * gets no journal and needs no actor. The caller closes the journal.
 */
export async function runRecording(
  io: OpsIo,
  env: OpsEnvironment,
  run: { dlq: string; mode: RunMode; execute: boolean; quiet: boolean },
): Promise<{ journal: ReplayJournal | undefined; actor: string }> {
  if (!run.execute) return { journal: undefined, actor: env.actor ?? "(dry run)" };
  const actor = requireActor(env.actor);
  const journal = await openJournal(io, env);
  const unfinished = await journal.unfinishedRun(run.dlq, run.mode).catch(async (error) => {
    await journal.close();
    throw error;
  });
  if (unfinished && !run.quiet) {
    io.stdout(
      `resuming run ${unfinished.id}, started by ${unfinished.actor} at ${unfinished.startedAt.toISOString()}\n`,
    );
  }
  return { journal, actor };
}

/** A whole number ≥ 1 option, or `fallback`. */
export function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

/** A duration option in ms (30s, 10m, 2h), or undefined. */
export function duration(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new UsageError(`${option} must be a duration such as 30s, 10m or 2h, got "${value}"`);
  return ms;
}

// Saga-aware replay of one DLQ into its source queue. Dry run by default; with `execute`:
// send-then-delete, one replayed message in flight per saga, a ramp and a rate cap, a breaker on
// messages that come back, and a journal that makes an interrupted run resumable.
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type DeadLetterQueue,
  dryRunOutcome,
  type PlanLine,
  type PlanOptions,
  planReplay,
} from "@sagaworks/dead-letters";
import type { OrchestratorClient } from "../sagas/orchestrator-client.ts";
import { executeReplay } from "./execute.ts";
import type { ReplayJournal } from "./journal.ts";
import { inspectQueue } from "./saga-lookup.ts";

export { REPLAY_ATTRIBUTE } from "./execute.ts";
export type { PlanLine };

/** Options of {@link replay}: the plan's (which messages) and the pace's. Defaults are the CLI's. */
export interface ReplayOptions extends PlanOptions {
  execute: boolean;
  /** Rate cap in messages per second; default 5. */
  ratePerSecond: number;
  /** First batch size of the ramp; default 1. It doubles after a batch whose sagas all moved on. */
  rampStart: number;
  /** Largest batch; default 10. */
  maxBatch: number;
  /** How long to wait for a replayed message's saga to move on; default 10 s. */
  settleMs: number;
  /** The breaker trips after this many replayed messages came back to the DLQ; default 3. */
  maxReturned: number;
  /** How long messages the run leaves in the DLQ stay hidden while it runs; default 300 s. */
  holdSeconds: number;
}

/** Default options. */
export const defaultReplayOptions: ReplayOptions = {
  execute: false,
  includeStale: false,
  filter: {},
  limit: Number.POSITIVE_INFINITY,
  ratePerSecond: 5,
  rampStart: 1,
  maxBatch: 10,
  settleMs: 10_000,
  maxReturned: 3,
  holdSeconds: 300,
};

/** The outcome of a replay. */
export interface ReplayReport {
  dryRun: boolean;
  runId: string | null;
  resumed: boolean;
  destination: string;
  lines: PlanLine[];
  sent: number;
  skipped: number;
  returned: number;
  tripped: boolean;
  outcome: string;
}

/** What {@link replay} works with. */
export interface ReplayDeps {
  sqs: SQSClient;
  queue: DeadLetterQueue;
  orchestrator: OrchestratorClient;
  /** Required for `execute`. */
  journal?: ReplayJournal | undefined;
  actor: string;
  /** Called on each decided message, for progress output. */
  onLine?: ((line: PlanLine) => void) | undefined;
  now?: () => number;
}

/** Replays (or plans the replay of) one DLQ. */
export async function replay(deps: ReplayDeps, options: ReplayOptions): Promise<ReplayReport> {
  return options.execute ? executeReplay(deps, options) : dryRun(deps, options);
}

async function dryRun(deps: ReplayDeps, options: ReplayOptions): Promise<ReplayReport> {
  const now = (deps.now ?? Date.now)();
  const items = await inspectQueue(
    deps.sqs,
    deps.queue.url ?? "",
    deps.orchestrator,
    10_000,
    new Date(now),
  );
  const { lines, sent } = planReplay(items, options, now);
  for (const line of lines) deps.onLine?.(line);
  return {
    dryRun: true,
    runId: null,
    resumed: false,
    destination: deps.queue.source.name,
    lines,
    sent,
    skipped: lines.length - sent,
    returned: 0,
    tripped: false,
    outcome: dryRunOutcome(sent, lines.length, deps.queue.source.name, deps.queue.name),
  };
}

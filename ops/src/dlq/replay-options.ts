// What a replay takes and gives back: its options, what it works with and its report. Their own
// module, so the dry run (replay.ts) and the executed run (execute.ts) both import them and
// neither imports the other back.
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DeadLetterQueue, PlanLine, PlanOptions } from "@sagaworks/dead-letters";
import type { OrchestratorClient } from "../sagas/orchestrator-client.ts";
import type { ReplayJournal } from "./journal.ts";

/** Attribute a replayed copy carries: `<run id>/<DLQ message id>`, to find it after a crash. */
export const REPLAY_ATTRIBUTE = "replayOf";

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

/**
 * What a run over one DLQ works with, replay or deletion: both read the same queue, ask the
 * same orchestrator and write the same journal; only their progress lines differ.
 */
export interface DlqRunDeps<Line> {
  sqs: SQSClient;
  queue: DeadLetterQueue;
  orchestrator: OrchestratorClient;
  /** Required for `execute`. */
  journal?: ReplayJournal | undefined;
  actor: string;
  /** Called on each decided message, for progress output. */
  onLine?: ((line: Line) => void) | undefined;
  now?: () => number;
}

/** What {@link replay} works with. */
export type ReplayDeps = DlqRunDeps<PlanLine>;

// Saga-aware replay of one DLQ into its source queue. Dry run by default; with `execute`:
// send-then-delete, one replayed message in flight per saga, a ramp and a rate cap, a breaker on
// messages that come back, and a journal that makes an interrupted run resumable.
import { dryRunOutcome, type PlanLine, planReplay } from "@sagaworks/dead-letters";
import { executeReplay } from "./execute.ts";
import type { ReplayDeps, ReplayOptions, ReplayReport } from "./replay-options.ts";
import { inspectForDryRun } from "./saga-lookup.ts";

export type { PlanLine };

/** Replays (or plans the replay of) one DLQ. */
export async function replay(deps: ReplayDeps, options: ReplayOptions): Promise<ReplayReport> {
  return options.execute ? executeReplay(deps, options) : dryRun(deps, options);
}

async function dryRun(deps: ReplayDeps, options: ReplayOptions): Promise<ReplayReport> {
  const now = (deps.now ?? Date.now)();
  const items = await inspectForDryRun(deps, now);
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

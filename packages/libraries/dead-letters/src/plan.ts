// What a saga-aware replay of a DLQ would do with each message, decided without sending
// anything: the dry run of `ops dlq replay` and the plan the inspector shows. `ops` also uses
// these rules one message at a time while it executes a replay.
import { type Classified, Verdict } from "./classify.ts";

/** Which messages a replay considers. */
export interface ReplayFilter {
  /** Only these verdicts (groups). */
  verdicts?: readonly Verdict[] | undefined;
  sagaId?: string | undefined;
  /** Envelope name, e.g. `ReserveCredit`. */
  name?: string | undefined;
  /** Only messages first sent at least this long ago. */
  olderThanMs?: number | undefined;
}

/** The options a plan depends on (the rest of a replay's options only pace it). */
export interface PlanOptions {
  /** Replay stale messages too (never poison or unknown-saga ones); default false. */
  includeStale: boolean;
  filter: ReplayFilter;
  /** At most this many sent; default unlimited. */
  limit: number;
}

/** What the replay did or, in a dry run, would do with one message. */
export interface PlanLine {
  sqsMessageId: string;
  /**
   * `send` to the source queue; `skip` (left in the DLQ: stale, poison, unknown saga, filtered
   * out); `after-first` (another message of its saga goes first, then it is judged again);
   * `returned` (a replayed copy came back to the DLQ: executed runs only).
   */
  action: "send" | "skip" | "after-first" | "returned";
  verdict: Verdict | null;
  name: string | null;
  sagaId: string | null;
  step: string | null;
  why: string;
}

/** Whether a replay sends messages of this verdict at all. */
export function replayable(verdict: Verdict, includeStale: boolean): boolean {
  if (verdict === Verdict.waiting || verdict === Verdict.event) return true;
  return verdict === Verdict.stale && includeStale;
}

/** Whether the filters select this message (`now` in ms since the epoch). */
export function selected(item: Classified, filter: ReplayFilter, now: number): boolean {
  if (filter.verdicts && !filter.verdicts.includes(item.verdict)) return false;
  if (filter.sagaId && item.envelope?.sagaId !== filter.sagaId) return false;
  if (filter.name && item.envelope?.name !== filter.name) return false;
  if (
    filter.olderThanMs !== undefined &&
    now - item.message.sentAt.getTime() < filter.olderThanMs
  ) {
    return false;
  }
  return true;
}

/**
 * What a line about a classified message says of it, for a plan line and for `ops`'s own lines:
 * its verdict, and the envelope's name and saga (null when the body is not an envelope).
 */
export function classifiedFields(item: Classified): {
  verdict: Verdict;
  name: string | null;
  sagaId: string | null;
} {
  return {
    verdict: item.verdict,
    name: item.envelope?.name ?? null,
    sagaId: item.envelope?.sagaId ?? null,
  };
}

/** A plan line for a classified message. */
export function planLine(item: Classified, action: PlanLine["action"], why: string): PlanLine {
  return {
    sqsMessageId: item.message.sqsMessageId,
    action,
    ...classifiedFields(item),
    step: item.envelope?.step ?? null,
    why,
  };
}

/**
 * Decides each message, oldest first as given: send the first of each saga that the filters
 * select and its verdict allows, keep later ones of the same saga for after it, skip the rest.
 */
export function planReplay(
  items: readonly Classified[],
  options: PlanOptions,
  now: number,
): { lines: PlanLine[]; sent: number } {
  const lines: PlanLine[] = [];
  const planned = new Set<string>();
  let sent = 0;
  for (const item of items) {
    const sagaId = item.envelope?.sagaId;
    if (!selected(item, options.filter, now)) {
      lines.push(planLine(item, "skip", "not selected by the filters"));
    } else if (!replayable(item.verdict, options.includeStale)) {
      lines.push(planLine(item, "skip", `${item.verdict}: ${item.explanation}`));
    } else if (sent >= options.limit) {
      lines.push(planLine(item, "skip", "over --limit"));
    } else if (sagaId && planned.has(sagaId) && item.verdict !== Verdict.event) {
      lines.push(
        planLine(
          item,
          "after-first",
          "another message of this saga goes first; re-checked once it is applied",
        ),
      );
    } else {
      lines.push(planLine(item, "send", item.explanation));
      if (sagaId) planned.add(sagaId);
      sent++;
    }
  }
  return { lines, sent };
}

/** The one-line summary of a dry run. */
export function dryRunOutcome(sent: number, total: number, source: string, dlq: string): string {
  return `dry run: ${sent} would be sent to ${source}, ${total - sent} left in ${dlq}; add --execute to replay`;
}

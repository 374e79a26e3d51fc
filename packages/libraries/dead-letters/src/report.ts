// The dead-letter view of one DLQ as the API serves it: its messages grouped by the same key as
// `ops dlq inspect`, each joined to its saga, with the dry-run replay plan of `ops dlq replay`
// and the exact commands that act on it. Pure: built from already classified messages.
import {
  type Classified,
  type Group,
  groupMessages,
  type PendingSummary,
  Verdict,
} from "./classify.ts";
import { dryRunOutcome, type PlanLine, planReplay } from "./plan.ts";
import type { DeadLetterQueue } from "./queues.ts";

/** How the repository runs `ops` (see ops/README.md). */
export const OPS_COMMAND = "node scripts/bootstrap.mjs ops";
/** Messages listed per group; the rest are counted. */
export const MESSAGES_PER_GROUP = 50;
/** Characters of a poison body shown (an envelope's fields are shown instead of its body). */
const BODY_PREVIEW = 500;

/** A saga as a dead-lettered message is joined to it. */
export interface JoinedSaga {
  id: string;
  name: string;
  version: number;
  status: string;
  state: string;
  updatedAt: string;
  /** What it waits on, by step; empty when terminal. */
  pending: Record<string, PendingSummary>;
}

/** One message of a group, with its saga and what the dry run would do with it. */
export interface ReportMessage {
  sqsMessageId: string;
  sentAt: string;
  messageId: string | null;
  sagaId: string | null;
  step: string | null;
  attempt: number | null;
  compensation: boolean | null;
  explanation: string;
  saga: JoinedSaga | null;
  action: PlanLine["action"];
  why: string;
  /** The start of the body, for messages that are not envelopes; null otherwise. */
  bodyPreview: string | null;
}

/** Counts of a plan's actions. */
export interface PlanCounts {
  send: number;
  skip: number;
  afterFirst: number;
}

/** A group of messages with the same verdict, type, step and reason. */
export interface ReportGroup {
  key: string;
  verdict: Verdict;
  count: number;
  kind: string | null;
  name: string | null;
  sagaName: string | null;
  step: string | null;
  reason: string | null;
  oldestSentAt: string;
  newestSentAt: string;
  plan: PlanCounts;
  /** The `ops` command that replays only this group (dry run); null when never replayed. */
  replayCommand: string | null;
  messages: ReportMessage[];
  /** Messages of the group not listed in `messages`. */
  moreMessages: number;
}

/** What {@link buildReport} needs besides the messages. */
export interface ReportInput {
  queue: DeadLetterQueue;
  items: readonly Classified[];
  sagas: ReadonlyMap<string, JoinedSaga>;
  includeStale: boolean;
  now: number;
}

/** The dead-letter view of one DLQ. */
export interface DeadLetterReport {
  count: number;
  verdicts: Record<Verdict, number>;
  groups: ReportGroup[];
  plan: PlanCounts & { outcome: string };
  commands: { inspect: string; dryRun: string; execute: string };
}

function counts(lines: readonly PlanLine[]): PlanCounts {
  return {
    send: lines.filter((l) => l.action === "send").length,
    skip: lines.filter((l) => l.action === "skip").length,
    afterFirst: lines.filter((l) => l.action === "after-first").length,
  };
}

/** The command that replays one group: its verdict and message name, no more. */
function groupCommand(group: Group, dlq: string): string | null {
  const name = group.sample.envelope?.name;
  if (
    group.verdict === Verdict.poison ||
    group.verdict === Verdict.unknownSaga ||
    group.verdict === Verdict.archived ||
    !name
  ) {
    return null;
  }
  return `${OPS_COMMAND} dlq replay ${dlq} --verdict ${group.verdict} --command ${name}`;
}

/** Groups the classified messages (oldest first as given) and plans their dry-run replay. */
export function buildReport(input: ReportInput): DeadLetterReport {
  const { queue, items, sagas, includeStale, now } = input;
  const { lines, sent } = planReplay(items, { includeStale, filter: {}, limit: Infinity }, now);
  const lineOf = new Map(lines.map((line) => [line.sqsMessageId, line]));
  const message = (item: Classified): ReportMessage => {
    const line = lineOf.get(item.message.sqsMessageId);
    const e = item.envelope;
    return {
      sqsMessageId: item.message.sqsMessageId,
      sentAt: item.message.sentAt.toISOString(),
      messageId: e?.messageId ?? null,
      sagaId: e && e.kind !== "event" ? e.sagaId : null,
      step: e?.step ?? null,
      attempt: e?.attempt ?? null,
      compensation: e?.compensation ?? null,
      explanation: item.explanation,
      saga: e ? (sagas.get(e.sagaId) ?? null) : null,
      action: line?.action ?? "skip",
      why: line?.why ?? item.explanation,
      bodyPreview: e ? null : item.message.body.slice(0, BODY_PREVIEW),
    };
  };
  const groups = groupMessages(items).map((group): ReportGroup => {
    const sent = group.items.map((i) => i.message.sentAt.getTime());
    const e = group.sample.envelope;
    return {
      key: group.key,
      verdict: group.verdict,
      count: group.count,
      kind: e?.kind ?? null,
      name: e?.name ?? null,
      sagaName: e?.sagaName ?? null,
      step: e?.step ?? null,
      reason: group.sample.message.reason,
      oldestSentAt: new Date(Math.min(...sent)).toISOString(),
      newestSentAt: new Date(Math.max(...sent)).toISOString(),
      plan: counts(group.items.flatMap((i) => lineOf.get(i.message.sqsMessageId) ?? [])),
      replayCommand: groupCommand(group, queue.name),
      messages: group.items.slice(0, MESSAGES_PER_GROUP).map(message),
      moreMessages: Math.max(0, group.count - MESSAGES_PER_GROUP),
    };
  });
  const verdicts = Object.fromEntries(
    Object.values(Verdict).map((v) => [v, items.filter((i) => i.verdict === v).length]),
  ) as Record<Verdict, number>;
  const stale = includeStale ? " --include-stale" : "";
  return {
    count: items.length,
    verdicts,
    groups,
    plan: {
      ...counts(lines),
      outcome: dryRunOutcome(sent, lines.length, queue.source.name, queue.name),
    },
    commands: {
      inspect: `${OPS_COMMAND} dlq inspect ${queue.name}`,
      dryRun: `${OPS_COMMAND} dlq replay ${queue.name}${stale}`,
      execute: `${OPS_COMMAND} dlq replay ${queue.name}${stale} --execute`,
    },
  };
}

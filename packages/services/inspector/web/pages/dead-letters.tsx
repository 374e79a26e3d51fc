// Dead letters: the deployment's DLQs with their depth, and one DLQ read on demand: its
// messages grouped by verdict, type, step and reason, each joined to its saga (linked), with the
// dry-run replay plan and the exact `ops` commands. Read-only: the replay stays a CLI action,
// with its journal, ramp and breaker. The list refreshes by polling (queue attributes only); a
// DLQ is read once when opened and again on request, since each read briefly hides its messages.
import "./dead-letters.css";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  type DeadLetterQueues,
  type DeadLetterView,
  listDeadLetters,
  readDeadLetters,
} from "../api.ts";
import { ColumnHeads, ErrorNote, Section, StatusBadge } from "../components.tsx";
import { relative, timestamp } from "../format.ts";
import { usePolling } from "../polling.ts";
import { deadLettersHref, sagaHref } from "../route.ts";

type QueueRow = DeadLetterQueues["queues"][number];
type Group = DeadLetterView["groups"][number];
type Message = Group["messages"][number];

/** What each verdict means, in the words of ops/README.md. */
const VERDICTS: Record<string, string> = {
  waiting: "the saga still waits for exactly this step: a replay is useful",
  stale: "the saga moved on or finished: a replay is ignored at best",
  "unknown-saga": "the orchestrator has no such saga: export, then delete by hand",
  archived: "the saga finished and was pruned after its retention period: delete it",
  poison: "not an envelope, or too old to be accepted: it would fail again; never replayed",
  event: "a lifecycle event: replay once the subscriber is fixed",
};

/** What the dry run would do, as a short label. */
const ACTIONS: Record<string, string> = {
  send: "send",
  skip: "leave in DLQ",
  "after-first": "after the first",
  returned: "came back",
};

const short = (id: string) => `${id.slice(0, 8)}…`;

function QueueTable({ queues, current }: { queues: QueueRow[]; current: string | null }) {
  return (
    <div class="table-wrap">
      <table class="dlq-list">
        <ColumnHeads names={["DLQ", "depth", "in flight", "source queue", "read by", "redrive"]} />
        <tbody>
          {queues.map((queue) => (
            <tr
              key={queue.name}
              data-dlq={queue.name}
              class={queue.name === current ? "selected" : undefined}
            >
              <th scope="row">
                <a
                  href={deadLettersHref(queue.name)}
                  class="mono"
                  aria-current={queue.name === current ? "true" : undefined}
                >
                  {queue.name}
                </a>
              </th>
              <td data-depth={queue.depth?.total ?? "missing"}>
                {queue.depth ? (
                  <strong class={queue.depth.total > 0 ? "depth nonzero" : "depth"}>
                    {queue.depth.total}
                  </strong>
                ) : (
                  <span class="badge status-failed">not on the broker</span>
                )}
              </td>
              <td>{queue.depth?.inFlight ?? "–"}</td>
              <td class="mono">{queue.sourceQueue}</td>
              <td>{queue.owner}</td>
              <td>
                {queue.maxReceiveCount === null
                  ? "none"
                  : `after ${queue.maxReceiveCount} receives`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A command to copy into a terminal, with a button that copies it. */
function Command({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <div class="command">
      <div class="command-head">
        <span class="muted">{label}</span>
        <button
          type="button"
          class="secondary small"
          aria-label={`Copy: ${label}`}
          onClick={() => {
            // The clipboard needs a secure context (https or localhost); say so when it is not.
            navigator.clipboard
              ?.writeText(text)
              .then(() => setCopied("copied"))
              .catch(() => setCopied("select the text to copy it"));
          }}
        >
          Copy
        </button>
        <span class="muted" aria-live="polite">
          {copied ?? ""}
        </span>
      </div>
      <pre>
        <code>{text}</code>
      </pre>
    </div>
  );
}

function SagaCell({ message }: { message: Message }) {
  if (!message.sagaId) return <span class="muted">–</span>;
  const saga = message.saga;
  return (
    <div class="saga-cell">
      <a href={sagaHref(message.sagaId)} class="mono" title={message.sagaId}>
        {short(message.sagaId)}
      </a>
      {saga ? (
        <>
          {" "}
          <StatusBadge status={saga.status} /> <span class="mono">{saga.state}</span>
          {Object.values(saga.pending).map((work) => (
            <div class="muted" key={work.step}>
              waits on {work.step}
              {work.compensation ? " (compensation)" : ""} attempt {work.attempt} ({work.waitingFor}
              )
            </div>
          ))}
        </>
      ) : (
        <span class="muted"> no such saga</span>
      )}
    </div>
  );
}

function GroupPanel({ group, index }: { group: Group; index: number }) {
  const what = group.name
    ? `${group.kind} ${group.name} · ${group.sagaName} step ${group.step}`
    : "not an envelope";
  return (
    <article
      class={`dlq-group verdict-${group.verdict}`}
      aria-labelledby={`group-${index}`}
      data-verdict={group.verdict}
    >
      <h3 id={`group-${index}`}>
        <span class="group-count">{group.count} ×</span>{" "}
        <span class={`badge verdict ${group.verdict}`}>{group.verdict}</span> {what}
      </h3>
      <dl class="facts">
        <dt>reason</dt>
        <dd>{group.reason ?? <span class="muted">no reason recorded (moved by redrive)</span>}</dd>
        <dt>means</dt>
        <dd>{VERDICTS[group.verdict]}</dd>
        <dt>sent</dt>
        <dd>
          <span title={timestamp(group.oldestSentAt)}>oldest {relative(group.oldestSentAt)}</span>
          {group.count > 1 ? (
            <span title={timestamp(group.newestSentAt)}>
              , newest {relative(group.newestSentAt)}
            </span>
          ) : null}
        </dd>
        <dt>dry run</dt>
        <dd class="plan-counts">
          {group.plan.send} send · {group.plan.afterFirst} after the first of their saga ·{" "}
          {group.plan.skip} left in the DLQ
        </dd>
      </dl>
      {group.replayCommand ? (
        <Command
          label="replay only this group (a dry run; add --execute)"
          text={group.replayCommand}
        />
      ) : null}
      <div class="table-wrap">
        <table class="dlq-messages">
          <ColumnHeads names={["message", "saga", "attempt", "dry run"]} />
          <tbody>
            {group.messages.map((message) => (
              <tr key={message.sqsMessageId} data-sqs-id={message.sqsMessageId}>
                <td>
                  <span class="mono" title={message.sqsMessageId}>
                    {short(message.sqsMessageId)}
                  </span>
                  <div class="muted" title={timestamp(message.sentAt)}>
                    {relative(message.sentAt)}
                  </div>
                </td>
                <td>
                  <SagaCell message={message} />
                </td>
                <td>
                  {message.attempt ?? "–"}
                  {message.compensation ? " (compensation)" : ""}
                </td>
                <td>
                  <span class={`action action-${message.action}`}>{ACTIONS[message.action]}</span>
                  <div class="why">{message.why}</div>
                  {message.bodyPreview !== null ? (
                    <pre class="body-preview">{message.bodyPreview}</pre>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {group.moreMessages > 0 ? (
        <p class="muted">
          and {group.moreMessages} more; <code>ops dlq inspect --export</code> writes them all.
        </p>
      ) : null}
    </article>
  );
}

function QueueReport({ queue, onRead }: { queue: string; onRead: () => void }) {
  const [includeStale, setIncludeStale] = useState(false);
  // Read once per queue and option, and on request: never polled (see the header).
  const read = usePolling(
    `dead-letters:${queue}:${includeStale}`,
    () => readDeadLetters(queue, { includeStale }),
    null,
  );
  const view = read.data;
  // The list's depths, re-read once this read has put the messages back (during it, they count
  // as in flight).
  // (A ref: the callback is a new function on every render, the read is not.)
  const onReadRef = useRef(onRead);
  onReadRef.current = onRead;
  const readAt = read.at;
  useEffect(() => {
    if (readAt !== undefined) onReadRef.current();
  }, [readAt]);
  return (
    <Section
      id="dlq-report"
      title={`Messages in ${queue}`}
      actions={
        <button type="button" class="secondary" onClick={read.refresh}>
          Read again
        </button>
      }
    >
      {read.error ? <ErrorNote error={read.error} /> : null}
      {!view ? (
        read.error ? null : (
          <p aria-live="polite">Reading {queue}…</p>
        )
      ) : (
        <>
          <p class="muted" aria-live="polite">
            Read {timestamp(view.readAt).slice(11, 19)}: {view.count} message(s)
            {view.truncated ? ` (the first ${view.limit}; there are more)` : ""}, each put back
            untouched (hidden only while read, {view.hiddenForSeconds} s at most). Source queue{" "}
            <span class="mono">{view.queue.sourceQueue}</span>.
          </p>
          <nav class="counts" aria-label="Messages per verdict">
            {Object.entries(view.verdicts).map(([verdict, n]) => (
              <span key={verdict} class={`count verdict-${verdict}`} title={VERDICTS[verdict]}>
                {verdict} <strong data-verdict-count={verdict}>{n}</strong>
              </span>
            ))}
          </nav>
          <section class="dlq-plan" aria-labelledby="plan-title">
            <h3 id="plan-title">Dry-run replay plan</h3>
            <p data-plan-outcome>{view.plan.outcome}</p>
            <label class="inline">
              <input
                type="checkbox"
                checked={includeStale}
                onChange={(event) => setIncludeStale((event.target as HTMLInputElement).checked)}
              />{" "}
              plan stale messages too (<code>--include-stale</code>: only when the receiver
              deduplicates and you want the side effect anyway)
            </label>
            <p>
              The replay runs from a terminal, where it is journaled, paced, stopped by its breaker
              and resumable:
            </p>
            <Command label="dry run" text={view.commands.dryRun} />
            <Command label="replay" text={view.commands.execute} />
            <Command
              label="export every message"
              text={`${view.commands.inspect} --export dlq.jsonl`}
            />
          </section>
          {view.groups.length === 0 ? <p>This DLQ is empty.</p> : null}
          {view.groups.map((group, index) => (
            <GroupPanel key={group.key} group={group} index={index} />
          ))}
        </>
      )}
    </Section>
  );
}

/** The dead-letter page; `queue` is the DLQ read, or null for the list alone. */
export function DeadLettersPage({ queue }: { queue: string | null }) {
  const list = usePolling("dead-letter-queues", listDeadLetters, 5_000);
  return (
    <main id="main">
      <h1>Dead letters</h1>
      <Section id="dlq-queues" title="Dead-letter queues">
        {list.error ? <ErrorNote error={list.error} /> : null}
        {list.data ? (
          <QueueTable queues={list.data.queues} current={queue} />
        ) : list.error ? null : (
          <p>Loading…</p>
        )}
        {queue ? null : (
          <p class="muted">Open a DLQ to read its messages, joined to their sagas.</p>
        )}
      </Section>
      {queue ? <QueueReport queue={queue} onRead={list.refresh} /> : null}
    </main>
  );
}

// One saga: its graph coloured by what it did, the history as a timeline with durations, the
// input, each step's commands and replies, pending timers, unsent outbox rows, and the operator
// actions its state allows, each asking for a reason and showing the API's refusal as it is.
import type { CompiledSaga, CompiledStep } from "@sagaworks/saga-definition";
import { useEffect, useRef, useState } from "preact/hooks";
import { allowedActions, pendingWorks, sentAlong, TERMINAL } from "../actions.ts";
import {
  ApiError,
  getDefinition,
  getOutbox,
  getSaga,
  getTimers,
  type HistoryEntry,
  type OperatorAction,
  operate,
  type SagaView,
} from "../api.ts";
import { ColumnHeads, ErrorNote, JsonDetails, Section, StatusBadge } from "../components.tsx";
import { formatDuration, prettyJson, relative, timestamp } from "../format.ts";
import { MermaidGraph } from "../graph.tsx";
import { MARK_STYLES, markedDiagram, type StateMark, stateMarks } from "../marks.ts";
import { usePolling } from "../polling.ts";
import { sagaHref } from "../route.ts";
import { readActor, saveActor } from "../session.ts";

/** What each action does, as the operator reads it before choosing. */
const ACTION_HELP: Record<OperatorAction, string> = {
  retry: "Run the current step (or compensation) again now, with a fresh retry budget.",
  skip: "Mark the current step done by hand, with the output later steps need.",
  compensate:
    "Stop going forward and undo the steps done so far (refused once the pivot passed, and while the pivot's outcome is unknown unless you state it did not apply).",
  resolve: "Close a saga that needs intervention: it was settled by hand.",
};

function ActionForm({
  saga,
  action,
  onDone,
  onCancel,
  onRefused,
}: {
  saga: SagaView;
  action: OperatorAction;
  onDone: (message: string) => void;
  onCancel: () => void;
  onRefused: () => void;
}) {
  // What the operator saw when they chose the action: the action is sent for exactly that, and
  // the API refuses it (SAGA_MOVED_ON) if the saga has moved on while the form was open.
  // Inside a parallel group several steps wait at once: the operator picks the one the action is
  // for (the API refuses an action whose step is not pending, STEP_NOT_PENDING).
  const [works] = useState(pendingWorks(saga.snapshot));
  const [chosen, setChosen] = useState(0);
  const pending = works[chosen];
  const [pivotNotApplied, setPivotNotApplied] = useState(false);
  const [actor, setActor] = useState(readActor());
  const [reason, setReason] = useState("");
  const [output, setOutput] = useState("{}");
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => reasonRef.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    let parsed: unknown;
    if (action === "skip") {
      try {
        parsed = JSON.parse(output);
      } catch (failure) {
        setError(new Error(`The output is not JSON: ${(failure as Error).message}`));
        return;
      }
    }
    setBusy(true);
    saveActor(actor.trim());
    try {
      const expected = pending
        ? { step: pending.step, attempt: pending.attempt, compensation: pending.compensation }
        : { step: "(none)", attempt: 1, compensation: false };
      const body = {
        actor: actor.trim(),
        reason: reason.trim(),
        ...(action === "resolve" && !pending ? {} : { expected }),
      };
      const result = await operate(
        saga.id,
        action,
        action === "skip"
          ? { ...body, expected, output: parsed as Record<string, unknown> }
          : action === "compensate" && pivotNotApplied
            ? { ...body, expected, pivotOutcome: "not-applied" }
            : { ...body, expected },
      );
      onDone(`${action}: ${result.note ?? "done"} → ${result.status ?? "?"}`);
    } catch (failure) {
      setError(failure as Error);
      // A refused action is recorded in the history too: show it there.
      if (failure instanceof ApiError) onRefused();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="action-form" onSubmit={submit} aria-label={`${action} this saga`}>
      <h3>
        {action}
        {pending ? (
          <span class="muted">
            {" "}
            — {pending.compensation ? "compensation of " : ""}
            {pending.step}, attempt {pending.attempt}
            {pending.chain?.length ? ` (with ${pending.chain.join(", ")} sent along)` : ""}
          </span>
        ) : null}
      </h3>
      <p class="muted">{ACTION_HELP[action]}</p>
      {works.length > 1 ? (
        <>
          <label for="action-step">Which pending step</label>
          <select
            id="action-step"
            value={String(chosen)}
            onChange={(event) => setChosen(Number((event.target as HTMLSelectElement).value))}
          >
            {works.map((work, index) => (
              <option key={`${work.step}:${work.compensation}`} value={String(index)}>
                {work.compensation ? "compensation of " : ""}
                {work.step}, attempt {work.attempt} ({work.waitingFor})
              </option>
            ))}
          </select>
        </>
      ) : null}
      <label for="action-actor">Who is acting</label>
      <input
        id="action-actor"
        required
        maxLength={200}
        value={actor}
        placeholder="you@example.com"
        onInput={(event) => setActor((event.target as HTMLInputElement).value)}
      />
      <label for="action-reason">Reason (kept in the saga's history)</label>
      <textarea
        id="action-reason"
        ref={reasonRef}
        required
        maxLength={2000}
        rows={2}
        value={reason}
        onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)}
      />
      {action === "skip" ? (
        <>
          <label for="action-output">Output of the skipped step (JSON object)</label>
          <textarea
            id="action-output"
            class="mono"
            rows={4}
            value={output}
            onInput={(event) => setOutput((event.target as HTMLTextAreaElement).value)}
          />
        </>
      ) : null}
      {action === "compensate" ? (
        <label class="checkbox">
          <input
            type="checkbox"
            checked={pivotNotApplied}
            onChange={(event) => setPivotNotApplied((event.target as HTMLInputElement).checked)}
          />{" "}
          If the saga waits on its pivot: I made sure at its service that the pivot did not and will
          not apply
        </label>
      ) : null}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {busy ? "Sending…" : `Confirm ${action}`}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error ? (
        <ErrorNote
          error={error}
          label={error instanceof ApiError ? `The API refused (${error.status})` : "Not sent"}
        />
      ) : null}
    </form>
  );
}

function ActionsPanel({ saga, onChanged }: { saga: SagaView; onChanged: () => void }) {
  const [open, setOpen] = useState<OperatorAction | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const actions = allowedActions(saga.snapshot);
  return (
    <Section id="actions" title="Operator actions">
      {actions.length === 0 ? (
        <p class="muted">
          {TERMINAL.includes(saga.snapshot.status)
            ? `The saga is ${saga.snapshot.status}: no action applies.`
            : "The saga waits on nothing an operator can act on."}
        </p>
      ) : (
        <fieldset class="buttons">
          <legend class="visually-hidden">Actions allowed now</legend>
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              class={open === action ? "" : "secondary"}
              aria-expanded={open === action}
              title={ACTION_HELP[action]}
              onClick={() => {
                setDone(undefined);
                setOpen(open === action ? undefined : action);
              }}
            >
              {action[0]?.toUpperCase()}
              {action.slice(1)}…
            </button>
          ))}
        </fieldset>
      )}
      {saga.snapshot.pivotPassed ? (
        <p class="muted">
          The pivot has succeeded: the remaining steps are retried, never compensated.
        </p>
      ) : null}
      {open ? (
        <ActionForm
          key={open}
          saga={saga}
          action={open}
          onCancel={() => setOpen(undefined)}
          onRefused={onChanged}
          onDone={(message) => {
            setOpen(undefined);
            setDone(message);
            onChanged();
          }}
        />
      ) : null}
      {done ? (
        <p class="ok-note" role="status">
          {done}
        </p>
      ) : null}
    </Section>
  );
}

function eventLabel(entry: HistoryEntry): string {
  const event = entry.event as unknown as Record<string, unknown>;
  const parts = [entry.eventType];
  if (typeof event.step === "string") parts.push(String(event.step));
  if (typeof event.name === "string") parts.push(String(event.name));
  if (typeof event.attempt === "number") parts.push(`attempt ${event.attempt}`);
  if (event.compensation === true) parts.push("(compensation)");
  return parts.join(" · ");
}

function isCompensation(entry: HistoryEntry): boolean {
  const event = entry.event as unknown as Record<string, unknown>;
  return (
    event.compensation === true ||
    entry.status === "compensating" ||
    entry.status === "compensated" ||
    entry.effects.some((effect) => effect.compensation === true)
  );
}

function Timeline({ saga }: { saga: SagaView }) {
  const start = Date.parse(saga.createdAt);
  return (
    <Section id="timeline" title={`History (${saga.history.length} events)`}>
      <ol class="timeline">
        {saga.history.map((entry, index) => {
          const at = Date.parse(entry.at);
          const previous = index > 0 ? Date.parse(saga.history[index - 1]?.at ?? entry.at) : start;
          return (
            <li
              key={entry.seq * 100_000 + index}
              class={`event ${entry.applied ? "" : "ignored"} ${isCompensation(entry) ? "compensation" : ""}`}
              data-event-type={entry.eventType}
            >
              <div class="event-time">
                <span title={timestamp(entry.at)}>+{formatDuration(at - start)}</span>
                <span class="muted">Δ {formatDuration(at - previous)}</span>
              </div>
              <div class="event-body">
                <div class="event-title">
                  <strong>{eventLabel(entry)}</strong>{" "}
                  {entry.applied ? null : <span class="badge">ignored</span>}{" "}
                  <StatusBadge status={entry.status} />
                </div>
                <div>{entry.note}</div>
                {entry.actor ? (
                  <div class="muted">
                    by {entry.actor}
                    {entry.reason ? `: “${entry.reason}”` : ""}
                  </div>
                ) : null}
                <JsonDetails
                  summary="event and effects"
                  value={{ event: entry.event, effects: entry.effects }}
                />
              </div>
            </li>
          );
        })}
      </ol>
    </Section>
  );
}

/** Commands a step sent and replies it got, read from the history. */
function stepExchanges(saga: SagaView, step: CompiledStep) {
  const commands: { at: string; summary: Record<string, unknown> }[] = [];
  const replies: { at: string; applied: boolean; event: Record<string, unknown> }[] = [];
  for (const entry of saga.history) {
    for (const effect of entry.effects) {
      const forThisStep =
        effect.step === step.name ||
        (effect.type === "call-http" && entry.state === `step:${step.name}`);
      if ((effect.type === "send-command" || effect.type === "call-http") && forThisStep) {
        commands.push({ at: entry.at, summary: effect as unknown as Record<string, unknown> });
      }
      // A chain's later commands leave with the first one; their participants send them on.
      const links = (effect as { chain?: { step: string; command: string }[] }).chain ?? [];
      for (const link of links) {
        if (effect.type !== "send-command" || link.step !== step.name) continue;
        commands.push({
          at: entry.at,
          summary: { ...link, attempt: 1, sentAlongWith: effect.step },
        });
      }
    }
    const event = entry.event as unknown as Record<string, unknown>;
    if (
      ["reply", "http-response", "http-failure"].includes(entry.eventType) &&
      event.step === step.name
    ) {
      replies.push({ at: entry.at, applied: entry.applied, event });
    }
  }
  return { commands, replies };
}

function StepsPanel({ saga, compiled }: { saga: SagaView; compiled: CompiledSaga }) {
  const along = sentAlong(saga.snapshot);
  return (
    <Section id="steps" title="Steps: commands and replies">
      <p class="muted">
        The history keeps each command's routing, not its payload; a command still in the outbox is
        shown whole below. Replies are kept whole.
      </p>
      {compiled.steps.map((step) => {
        const record = saga.snapshot.steps[step.name];
        const { commands, replies } = stepExchanges(saga, step);
        return (
          <div class="step" key={step.name} data-step={step.name}>
            <h3>
              {step.index + 1}. {step.name} <StatusBadge status={record?.status ?? "pending"} />
              {step.name === compiled.pivot ? <span class="badge pivot">pivot</span> : null}
              {along.has(step.name) ? (
                <span
                  class="badge chained"
                  title="Its participant sends this command itself once the step before answers: it may have run already."
                >
                  sent along with {along.get(step.name)}
                </span>
              ) : null}
            </h3>
            <p class="muted">
              attempts {record?.attempts ?? 0}
              {record?.compensationAttempts
                ? `, compensation attempts ${record.compensationAttempts}`
                : ""}
              {record?.lastError
                ? ` · last error ${record.lastError.code}: ${record.lastError.message}`
                : ""}
            </p>
            {commands.map((command, index) => (
              <JsonDetails
                key={`c${index}`}
                summary={`→ ${String(command.summary.command ?? `${command.summary.method} ${command.summary.path}`)} attempt ${String(command.summary.attempt)}${command.summary.compensation ? " (compensation)" : ""}${command.summary.sentAlongWith ? ` (sent along with ${String(command.summary.sentAlongWith)})` : ""} · ${timestamp(command.at).slice(11)}`}
                value={command.summary}
              />
            ))}
            {replies.map((reply, index) => (
              <JsonDetails
                key={`r${index}`}
                summary={`← ${String(reply.event.name ?? reply.event.status ?? reply.event.code ?? reply.event.type)} attempt ${String(reply.event.attempt)}${reply.event.compensation ? " (compensation)" : ""}${reply.applied ? "" : " · ignored"} · ${timestamp(reply.at).slice(11)}`}
                value={reply.event}
              />
            ))}
            {record?.output !== null && record?.output !== undefined ? (
              <JsonDetails summary="output (what later steps read)" value={record.output} />
            ) : null}
          </div>
        );
      })}
    </Section>
  );
}

function Legend() {
  return (
    <ul class="legend" aria-label="Graph colours">
      {(Object.keys(MARK_STYLES) as StateMark[]).map((mark) => (
        <li key={mark}>
          <span class={`swatch mark-${mark}`} aria-hidden="true" /> {mark}
        </li>
      ))}
    </ul>
  );
}

/** The saga page. */
export function SagaPage({ id }: { id: string }) {
  const saga = usePolling(`saga:${id}`, () => getSaga(id));
  const timers = usePolling(`timers:${id}`, () => getTimers(id));
  const outbox = usePolling(`outbox:${id}`, () => getOutbox(id));
  const view = saga.data;
  const definition = usePolling(
    view ? `def:${view.name}@${view.version}` : "def:none",
    () => (view ? getDefinition(view.name, view.version) : Promise.resolve(undefined)),
    null,
  );
  const refreshAll = () => {
    saga.refresh();
    timers.refresh();
    outbox.refresh();
  };
  if (!view) {
    return (
      <main id="main">
        <h1>Saga {id}</h1>
        {saga.error ? <ErrorNote error={saga.error} /> : <p aria-busy="true">Loading…</p>}
      </main>
    );
  }
  const snapshot = view.snapshot;
  const compiled = definition.data?.compiled;
  const end = TERMINAL.includes(snapshot.status) ? Date.parse(view.updatedAt) : Date.now();
  return (
    <main id="main">
      <h1>
        {view.name} v{view.version} <StatusBadge status={snapshot.status} />
      </h1>
      <dl class="facts">
        <dt>saga id</dt>
        <dd class="mono">{view.id}</dd>
        <dt>state</dt>
        <dd class="mono" data-state>
          {snapshot.state}
        </dd>
        <dt>started</dt>
        <dd>
          {timestamp(view.createdAt)} ({relative(view.createdAt)})
        </dd>
        <dt>{TERMINAL.includes(snapshot.status) ? "took" : "running for"}</dt>
        <dd>{formatDuration(end - Date.parse(view.createdAt))}</dd>
        <dt>pivot</dt>
        <dd>{snapshot.pivotPassed ? "passed" : "not passed"}</dd>
        <dt>definition hash</dt>
        <dd class="mono">{view.hash}</dd>
        {view.parent ? (
          <>
            <dt>parent saga</dt>
            <dd data-parent>
              <a href={sagaHref(view.parent.sagaId)} class="mono">
                {view.parent.sagaName} {view.parent.sagaId}
              </a>{" "}
              (step {view.parent.step})
            </dd>
          </>
        ) : null}
        {view.children.length > 0 ? (
          <>
            <dt>child sagas</dt>
            <dd data-children>
              <ul class="plain">
                {view.children.map((child) => (
                  <li key={child.sagaId}>
                    step {child.step}
                    {child.attempt > 1 ? ` (attempt ${child.attempt})` : ""}:{" "}
                    <a href={sagaHref(child.sagaId)} class="mono">
                      {child.sagaName} {child.sagaId}
                    </a>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
      {saga.error ? <ErrorNote error={saga.error} label="Refresh failed" /> : null}
      {snapshot.failure ? (
        <p class="failure" role="note">
          <strong>failure</strong> at {snapshot.failure.step} ({snapshot.failure.kind}):{" "}
          <code>{snapshot.failure.code}</code> {snapshot.failure.message}
        </p>
      ) : null}
      <div class="saga-grid">
        <div>
          <Section id="graph" title="Graph">
            {definition.error ? <ErrorNote error={definition.error} /> : null}
            {definition.data ? (
              <MermaidGraph
                text={markedDiagram(
                  definition.data.mermaid,
                  stateMarks(snapshot, Object.keys(definition.data.compiled.states)),
                )}
                label={`State diagram of ${view.name} with this saga's progress`}
              />
            ) : null}
            <Legend />
          </Section>
          <ActionsPanel saga={view} onChanged={refreshAll} />
        </div>
        <Timeline saga={view} />
      </div>
      <Section id="input" title="Input">
        <pre class="json-block">{prettyJson(snapshot.input)}</pre>
      </Section>
      {compiled ? <StepsPanel saga={view} compiled={compiled} /> : null}
      <Section id="timers" title="Pending timers">
        {timers.error ? <ErrorNote error={timers.error} /> : null}
        {timers.data?.length === 0 ? <p class="muted">No timer is pending.</p> : null}
        {timers.data?.length ? (
          <div class="table-wrap">
            <table>
              <ColumnHeads names={["fires", "event", "timer id"]} />
              <tbody>
                {timers.data.map((timer) => {
                  const event = timer.event as Record<string, unknown>;
                  return (
                    <tr key={timer.id}>
                      <td title={timestamp(timer.fireAt)}>{relative(timer.fireAt)}</td>
                      <td>
                        {String(event.type)}
                        {event.step ? ` · ${String(event.step)}` : ""}
                        {event.attempt ? ` · attempt ${String(event.attempt)}` : ""}
                        {event.compensation ? " (compensation)" : ""}
                      </td>
                      <td class="mono">{timer.id}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>
      <Section id="outbox" title="Outbox rows not yet sent">
        {outbox.error ? <ErrorNote error={outbox.error} /> : null}
        {outbox.data?.length === 0 ? <p class="muted">Nothing waits in the outbox.</p> : null}
        {outbox.data?.map((row) => (
          <JsonDetails
            key={row.id}
            summary={`#${row.id} ${row.kind} → ${row.destination} · attempts ${row.attempts}${row.lastError ? ` · last error: ${row.lastError}` : ""} · available ${relative(row.availableAt)}`}
            value={row.message}
          />
        ))}
      </Section>
    </main>
  );
}

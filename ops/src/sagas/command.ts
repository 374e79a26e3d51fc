// `ops sagas`: find stuck sagas, read one's timeline, and act on it through the orchestrator API.
import { parseArgs } from "node:util";
import { activeWork, SAGA_STATUSES } from "@sagaworks/saga-engine";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "../command.ts";
import { loadOpsEnvironment, requireActor } from "../dlq/environment.ts";
import { formatAge, listing, parseDuration } from "../dlq/format.ts";
import {
  type OperatorAction,
  type OperatorExpectation,
  OrchestratorClient,
  type OutboxRowView,
  SagaArchivedError,
  type SagaView,
  type TimerView,
} from "./orchestrator-client.ts";

const STATUSES: readonly string[] = SAGA_STATUSES;

const USAGE = {
  list: `Usage: ops sagas list [--status <s>] [--name <saga>] [--older-than <dur>] [--limit 200] [--json]

Sagas, newest first. --older-than keeps those whose last change is at least that old, e.g.
  ops sagas list --status needs-intervention --older-than 10m
Statuses: ${STATUSES.join(", ")}.
`,
  show: `Usage: ops sagas show <id> [--json]

A saga's status, the step it waits on, its failure, each step, its pending timers, its outbox
rows (messages and HTTP calls not yet sent, or sent and deleted at its next commit), and its
timeline. --json prints the saga with "timers" and "outbox" arrays (null when the orchestrator
does not serve them). A saga that finished and was pruned after its retention period prints
where its record was archived (--json: {"id", "archived": {"prunedAt", "location", …}}), exit 0.
`,
  action: `Usage: ops sagas <retry|skip|compensate|resolve|complete-wait|reopen-wait> <id> --reason "<why>" [--step <name> --attempt <n> [--compensation]] [--output '<json>'] [--event <Name> --payload '<json>'] [--pivot-not-applied] [--actor <who>]

  retry       run the current step (or compensation) again with a fresh retry budget
  skip        mark the current step done by hand, once it is parked or waiting to retry;
              --output gives the output later steps need
  compensate  stop going forward and compensate (refused once the pivot succeeded, and while
              the pivot's outcome is unknown unless you made sure at its service that it did
              not and will not apply: --pivot-not-applied)
  resolve     close a saga that needs intervention, by hand
  complete-wait  complete an await step's wait by hand: --event names the event (e.g.
              PaymentCaptured) and --payload gives its payload; its outcome applies
  reopen-wait open again a wait whose deadline passed and parked the saga (fresh deadline)
Each action names the step and attempt you expect the saga to wait on (--step, --attempt and
--compensation, as "ops sagas show" prints them); without them, what the saga waits on when
the command reads it, printed first (while a parallel group waits on several steps, name one:
the command refuses to guess). If the saga moved on, the action is refused (SAGA_MOVED_ON).
Each is recorded in the saga's history with the actor (OPS_ACTOR, or your login) and reason.
A refusal prints the orchestrator's code and reason and exits 1.
`,
};

const GROUP_USAGE = `Usage: ops sagas <list|show|retry|skip|compensate|resolve|complete-wait|reopen-wait> [options]

  list                      sagas by status, name and age
  show <id>                 a saga's state, timers, outbox and timeline
  retry|skip|compensate|resolve <id> --reason "…"   operator actions, audited
  complete-wait|reopen-wait <id> --reason "…"     act on an await step's wait

Each sub-command takes --help. Environment: ORCHESTRATOR_URL, ORCHESTRATOR_API_TOKEN, OPS_ACTOR.
`;

function client(io: OpsIo): { orchestrator: OrchestratorClient; actor: string | undefined } {
  const env = loadOpsEnvironment(io.env, { orchestrator: true });
  return {
    orchestrator: new OrchestratorClient({
      baseUrl: env.orchestratorUrl,
      token: env.orchestratorToken,
    }),
    actor: env.actor,
  };
}

async function list(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      status: { type: "string" },
      name: { type: "string" },
      "older-than": { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (values.status && !STATUSES.includes(values.status)) {
    throw new UsageError(`--status takes one of ${STATUSES.join(", ")}; got "${values.status}"`);
  }
  const olderThan =
    values["older-than"] === undefined ? undefined : parseDuration(values["older-than"]);
  if (values["older-than"] !== undefined && olderThan === undefined) {
    throw new UsageError(
      `--older-than must be a duration such as 10m, got "${values["older-than"]}"`,
    );
  }
  const limit = values.limit === undefined ? 200 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a whole number ≥ 1`);
  const { orchestrator } = client(io);
  const now = Date.now();
  const sagas = (
    await orchestrator.listSagas({ status: values.status, name: values.name, limit })
  ).filter(
    (saga) => olderThan === undefined || now - new Date(saga.updatedAt).getTime() >= olderThan,
  );
  io.stdout(
    listing(sagas, {
      json: values.json,
      empty: "no sagas match",
      header: ["ID", "NAME", "STATUS", "STATE", "SINCE"],
      cells: (s) => [
        s.id,
        `${s.name} v${s.version}`,
        s.status,
        s.state,
        formatAge(now - new Date(s.updatedAt).getTime()),
      ],
    }),
  );
  return ExitCode.ok;
}

/** A saga as `show` prints it: the API's saga with its timers and outbox rows. */
export interface ShownSaga extends SagaView {
  timers: TimerView[] | null;
  outbox: OutboxRowView[] | null;
}

function renderTimer(timer: TimerView, now: number): string {
  const due = new Date(timer.fireAt).getTime() - now;
  const what =
    timer.step === null
      ? timer.type
      : `${timer.type} ${timer.step}${timer.attempt === null ? "" : ` attempt ${timer.attempt}`}${timer.compensation ? " (compensation)" : ""}`;
  return `  ${timer.fireAt}  ${what}  ${due >= 0 ? `in ${formatAge(due)}` : `due ${formatAge(-due)} ago`}`;
}

function renderOutboxRow(row: OutboxRowView, now: number): string {
  const wait = new Date(row.availableAt).getTime() - now;
  const state = [
    row.attempts === 0 ? "" : `  ${row.attempts} attempt(s)`,
    row.lastError ? `, last error ${row.lastError}` : "",
    // A row the relay gave back after a refusal, or an HTTP call leased to its writer.
    wait > 0 ? `${row.attempts === 0 ? " " : ","} next try in ${formatAge(wait)}` : "",
  ].join("");
  return `  ${row.id.padStart(4)} ${row.createdAt}  ${row.kind} → ${row.destination}  ${row.what}${row.step ? ` (${row.step})` : ""}${state}`;
}

/**
 * A failure's code and message, the code once: a reply without a message of its own has its
 * name as both ("CreditLimitExceeded CreditLimitExceeded"), and some messages start with it.
 */
export function codeAndMessage(code: string, message: string): string {
  if (message === code || message.startsWith(`${code}:`) || message.startsWith(`${code} `)) {
    return message;
  }
  return `${code}: ${message}`;
}

/** One piece of pending work, as `ops sagas show` prints it. */
export function describeWork(work: ShownSaga["pending"][string]): string {
  const what = `${work.step}${work.compensation ? " (compensation)" : ""} attempt ${work.attempt}`;
  // A chain's participants send its later commands themselves: the saga may be held at any.
  const chain = work.chain?.length ? ` (chained: ${work.chain.join(", ")} sent along)` : "";
  return `${what}, for a ${work.waitingFor}${chain}`;
}

function renderSaga(saga: ShownSaga, now: number): string {
  const lines = [
    `saga ${saga.id}  ${saga.name} v${saga.version}`,
    `status   ${saga.status} (${saga.state})${saga.pivotPassed ? ", pivot passed" : ""}`,
    `waits on ${Object.values(saga.pending).map(describeWork).join("; ") || "nothing"}`,
  ];
  if (saga.failure) {
    lines.push(
      `failure  ${saga.failure.kind} at ${saga.failure.step}: ${codeAndMessage(saga.failure.code, saga.failure.message)}`,
    );
  }
  lines.push("", "steps:");
  for (const [name, step] of Object.entries(saga.steps)) {
    lines.push(
      `  ${name.padEnd(20)} ${step.status.padEnd(12)} ${step.attempts} attempt(s)${step.lastError ? `  last error ${codeAndMessage(step.lastError.code, step.lastError.message)}` : ""}`,
    );
  }
  lines.push("", "timers:");
  if (saga.timers === null) lines.push("  (not served by this orchestrator)");
  else if (saga.timers.length === 0) lines.push("  none");
  else for (const timer of saga.timers) lines.push(renderTimer(timer, now));
  lines.push("", "outbox (not yet sent, or sent and deleted at the saga's next commit):");
  if (saga.outbox === null) lines.push("  (not served by this orchestrator)");
  else if (saga.outbox.length === 0) lines.push("  none");
  else for (const row of saga.outbox) lines.push(renderOutboxRow(row, now));
  lines.push("", "timeline:");
  for (const entry of saga.history) {
    const who = entry.actor ? ` by ${entry.actor}${entry.reason ? ` (${entry.reason})` : ""}` : "";
    lines.push(
      `  ${String(entry.seq).padStart(3)} ${entry.at}  ${entry.event.padEnd(18)} → ${entry.status} ${entry.state}${entry.applied ? "" : " [not applied]"}${entry.note ? `  ${entry.note}` : ""}${who}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function show(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError("show takes one saga id");
  const { orchestrator } = client(io);
  let saga: SagaView | null;
  try {
    saga = await orchestrator.getSaga(id);
  } catch (error) {
    if (!(error instanceof SagaArchivedError)) throw error;
    const { id: sagaId, ...archived } = error.archived;
    io.stdout(
      values.json
        ? `${JSON.stringify({ id: sagaId, archived }, null, 2)}\n`
        : `${error.archived.message}\n`,
    );
    return ExitCode.ok;
  }
  if (!saga) {
    io.stderr(`no saga ${id}\n`);
    return ExitCode.failure;
  }
  const [timers, outbox] = await Promise.all([
    orchestrator.getTimers(id),
    orchestrator.getOutbox(id),
  ]);
  const shown: ShownSaga = { ...saga, timers, outbox };
  io.stdout(values.json ? `${JSON.stringify(shown, null, 2)}\n` : renderSaga(shown, Date.now()));
  return ExitCode.ok;
}

async function act(action: OperatorAction, argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      reason: { type: "string" },
      output: { type: "string" },
      actor: { type: "string" },
      json: { type: "boolean" },
      step: { type: "string" },
      attempt: { type: "string" },
      compensation: { type: "boolean" },
      "pivot-not-applied": { type: "boolean" },
      event: { type: "string" },
      payload: { type: "string" },
    },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(`${action} takes one saga id`);
  if (!values.reason?.trim())
    throw new UsageError(`${action} needs --reason "<why>": it is recorded in the saga's history`);
  let output: Record<string, unknown> | undefined;
  if (action === "skip") {
    try {
      output = JSON.parse(values.output ?? "{}") as Record<string, unknown>;
    } catch {
      throw new UsageError('--output must be a JSON object, e.g. \'{"orderId":"…"}\'');
    }
  } else if (values.output !== undefined) throw new UsageError("--output goes with skip only");
  const completion = waitCompletion(action, values);
  if (values["pivot-not-applied"] && action !== "compensate") {
    throw new UsageError("--pivot-not-applied goes with compensate only");
  }
  const { orchestrator, actor } = client(io);
  const expected = await expectation(orchestrator, id, action, values, io);
  const outcome = await orchestrator.act(id, action, {
    actor: requireActor(values.actor ?? actor),
    reason: values.reason,
    // Sent as JSON, which leaves undefined fields out of the body.
    output,
    expected,
    pivotOutcome: values["pivot-not-applied"] ? "not-applied" : undefined,
    ...completion,
  });
  if (values.json) io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
  else if (outcome.ok)
    io.stdout(
      `${action}: saga ${id} is ${outcome.status} (${outcome.state})${outcome.note ? ` — ${outcome.note}` : ""}\n`,
    );
  else io.stderr(`${action} refused (${outcome.httpStatus} ${outcome.code}): ${outcome.message}\n`);
  return outcome.ok ? ExitCode.ok : ExitCode.failure;
}

/** The event and payload of complete-wait (and nothing for the other actions). */
function waitCompletion(
  action: OperatorAction,
  values: { event?: string | undefined; payload?: string | undefined },
): { event?: string; payload?: Record<string, unknown> } {
  if (action !== "complete-wait") {
    if (values.event !== undefined || values.payload !== undefined) {
      throw new UsageError("--event and --payload go with complete-wait only");
    }
    return {};
  }
  if (!values.event)
    throw new UsageError("complete-wait needs --event <Name>, e.g. PaymentCaptured");
  let payload: unknown;
  try {
    payload = JSON.parse(values.payload ?? "");
  } catch {
    throw new UsageError('--payload must be the event\'s JSON object, e.g. \'{"paymentId":"…"}\'');
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new UsageError("--payload must be a JSON object: later steps read its fields");
  }
  return { event: values.event, payload: payload as Record<string, unknown> };
}

/** Sent when the saga waits on nothing (or does not exist): the API says why nothing applies. */
const NOTHING: OperatorExpectation = { step: "(none)", attempt: 1, compensation: false };

/**
 * What the action expects the saga to wait on: the flags, or else what it waits on as read now
 * (printed, so the operator sees what the action was sent for). `undefined` for a resolve
 * without flags.
 */
export async function expectation(
  orchestrator: OrchestratorClient,
  id: string,
  action: OperatorAction,
  values: {
    step?: string | undefined;
    attempt?: string | undefined;
    compensation?: boolean | undefined;
    json?: boolean | undefined;
  },
  io: OpsIo,
): Promise<OperatorExpectation | undefined> {
  if (values.step !== undefined || values.attempt !== undefined) {
    const attempt = Number(values.attempt);
    if (!values.step || !Number.isInteger(attempt) || attempt < 1) {
      throw new UsageError("--step and --attempt go together: a step name and a whole number ≥ 1");
    }
    return { step: values.step, attempt, compensation: values.compensation ?? false };
  }
  if (values.compensation) throw new UsageError("--compensation goes with --step and --attempt");
  if (action === "resolve") return undefined;
  const saga = await orchestrator.getSaga(id);
  const waiting = saga ? Object.values(saga.pending) : [];
  // A parallel group waits on one step per branch: which one the action is for is the
  // operator's to say, never a guess.
  if (waiting.length > 1) {
    const named = waiting
      .map(
        (w) => `--step ${w.step} --attempt ${w.attempt}${w.compensation ? " --compensation" : ""}`,
      )
      .join(" | ");
    throw new UsageError(
      `the saga waits on ${waiting.length} steps (a parallel group): name the one to ${action} with ${named}`,
    );
  }
  const work = saga ? activeWork(saga) : null;
  if (!saga || !work) return NOTHING;
  const { step, attempt, compensation } = work;
  if (!values.json) {
    io.stdout(
      `${action}: expecting ${compensation ? "the compensation of " : ""}${step} attempt ${attempt} (saga ${saga.status})\n`,
    );
  }
  return { step, attempt, compensation };
}

const ACTIONS: readonly OperatorAction[] = [
  "retry",
  "skip",
  "compensate",
  "resolve",
  "complete-wait",
  "reopen-wait",
];

/** The `ops sagas` command group. */
export const sagasCommands: CommandGroup = {
  name: "sagas",
  summary: "list stuck sagas, show a timeline, retry, skip, compensate or resolve",
  usage: GROUP_USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub) throw new UsageError("name a sub-command");
    const help = rest.includes("--help") || rest.includes("-h");
    if (sub === "list" || sub === "show") {
      if (help) {
        io.stdout(USAGE[sub]);
        return ExitCode.ok;
      }
      return sub === "list" ? list(rest, io) : show(rest, io);
    }
    const action = ACTIONS.find((a) => a === sub);
    if (!action) throw new UsageError(`unknown sub-command "${sub}"`);
    if (help) {
      io.stdout(USAGE.action);
      return ExitCode.ok;
    }
    return act(action, rest, io);
  },
};

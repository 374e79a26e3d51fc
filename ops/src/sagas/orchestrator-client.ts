// The one place ops talks to the orchestrator API: every request carries the bearer token, and
// every response is mapped to ops's own shapes here, so an API change is a change in this file.
import { z } from "zod";
import { OpsErrorCode, OpsErrors } from "../errors.ts";

/** What ops knows of one saga. */
export interface SagaView {
  id: string;
  name: string;
  version: number;
  status: string;
  state: string;
  createdAt: string;
  updatedAt: string;
  /** What it waits on, by step; empty when terminal. */
  pending: Record<
    string,
    {
      step: string;
      compensation: boolean;
      attempt: number;
      waitingFor: string;
    }
  >;
  failure: { step: string; kind: string; code: string; message: string } | null;
  pivotPassed: boolean;
  steps: Record<
    string,
    { status: string; attempts: number; lastError: { code: string; message: string } | null }
  >;
  history: HistoryEntry[];
}

/** A saga that finished and was pruned: where its record was archived. */
export interface ArchivedSagaView {
  id: string;
  prunedAt: string;
  /** The archive object (s3://bucket/key or a file path); null when pruned without archiving. */
  location: string | null;
  /** Every object holding it, newest first (an interrupted prune writes a saga twice). */
  locations: string[];
  /** The orchestrator's sentence, as the inspector shows it. */
  message: string;
}

/** Thrown by reads of a saga that was archived and pruned (the API's 410 SAGA_ARCHIVED). */
export class SagaArchivedError extends Error {
  override readonly name = "SagaArchivedError";
  readonly archived: ArchivedSagaView;

  constructor(archived: ArchivedSagaView) {
    super(archived.message);
    this.archived = archived;
  }
}

const archivedBody = z.object({
  message: z.string(),
  details: z.object({
    sagaId: z.string(),
    prunedAt: z.string(),
    location: z.string().nullable(),
    locations: z.array(z.string()),
  }),
});

/** Whether pruning is paused, and the orchestrator replica's settings (`GET /retention`). */
export interface RetentionView {
  paused: boolean;
  pausedBy: string | null;
  pausedAt: string | null;
  pausedByConfig: boolean;
  retentionMs: number;
  inboxRetentionMs: number;
  /** How long a pruned id still says where it went; absent from orchestrators before it was a setting. */
  archiveIndexRetentionMs?: number | undefined;
  archive: string;
}

const retentionSchema = z.object({
  paused: z.boolean(),
  pausedBy: z.string().nullable(),
  pausedAt: z.string().nullable(),
  pausedByConfig: z.boolean(),
  retentionMs: z.number(),
  inboxRetentionMs: z.number(),
  archiveIndexRetentionMs: z.number().optional(),
  archive: z.string(),
});

/** One entry of a saga's timeline. */
export interface HistoryEntry {
  seq: number;
  at: string;
  /** `reply`, `step-timeout`, `operator.retry`… */
  event: string;
  status: string;
  state: string;
  applied: boolean;
  note: string | null;
  actor: string | null;
  reason: string | null;
}

/** A pending timer of a saga (`GET /sagas/:id/timers`), soonest first. */
export interface TimerView {
  id: string;
  fireAt: string;
  /** `step-timeout`, `retry-timer`, `saga-deadline`. */
  type: string;
  /** The step (and attempt) a step timeout or retry timer is for; null for the deadline. */
  step: string | null;
  attempt: number | null;
  compensation: boolean;
}

/**
 * A row of the saga's outbox (`GET /sagas/:id/outbox`), oldest first: not yet sent, or sent and
 * deleted with the saga's next commit.
 */
export interface OutboxRowView {
  id: string;
  /** `sqs`, `sns` or `http`. */
  kind: string;
  destination: string;
  /** What it carries: the envelope's name (`ReserveCredit`), or the HTTP call (`GET customer /customers/…`). */
  what: string;
  step: string | null;
  attempts: number;
  lastError: string | null;
  availableAt: string;
  createdAt: string;
  /** The row's message as stored, for --json. */
  message: unknown;
}

/** A row of `GET /sagas`. */
export interface SagaSummary {
  id: string;
  name: string;
  version: number;
  status: string;
  state: string;
  createdAt: string;
  updatedAt: string;
}

/** The answer to an operator action: done, or refused with the API's code and reason. */
export type ActionOutcome =
  | { ok: true; status: string; state: string; note: string | undefined }
  | { ok: false; httpStatus: number; code: string; message: string };

/** An operator action the API carries. */
export type OperatorAction =
  | "retry"
  | "skip"
  | "compensate"
  | "resolve"
  | "complete-wait"
  | "reopen-wait";

/** What an action expects the saga to wait on (the API refuses it with SAGA_MOVED_ON if not). */
export interface OperatorExpectation {
  step: string;
  attempt: number;
  compensation: boolean;
}

const text = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : typeof value === "string" ? value : "";

const snapshotSchema = z.looseObject({
  status: z.string(),
  state: z.string(),
  pending: z.record(
    z.string(),
    z.looseObject({
      step: z.string(),
      compensation: z.boolean(),
      attempt: z.number(),
      waitingFor: z.string(),
    }),
  ),
  failure: z
    .looseObject({ step: z.string(), kind: z.string(), code: z.string(), message: z.string() })
    .nullable(),
  pivotPassed: z.boolean(),
  steps: z.record(
    z.string(),
    z.looseObject({
      status: z.string(),
      attempts: z.number(),
      lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
});

const historyRowSchema = z.record(z.string(), z.unknown());

const sagaSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  createdAt: z.union([z.string(), z.date()]),
  updatedAt: z.union([z.string(), z.date()]),
  snapshot: snapshotSchema,
  history: z.array(historyRowSchema),
});

/**
 * A row of `GET /sagas`. The API returns snake_case columns today and camelCase once the
 * orchestrator's list is reworked; both map here, so that change needs nothing in ops (and
 * dropping the snake_case branch later is this one function).
 */
const summarySchema = z.preprocess(
  (row) => {
    if (typeof row !== "object" || row === null) return row;
    const r = row as Record<string, unknown>;
    return {
      id: r.id,
      name: r.name ?? r.saga_name ?? r.sagaName,
      version: r.version ?? r.saga_version ?? r.sagaVersion,
      status: r.status,
      state: r.state,
      createdAt: text(r.createdAt ?? r.created_at),
      updatedAt: text(r.updatedAt ?? r.updated_at),
    };
  },
  z.object({
    id: z.string(),
    name: z.string(),
    version: z.number(),
    status: z.string(),
    state: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);

const listSchema = z.object({ items: z.array(summarySchema), nextCursor: z.string().nullable() });
const errorSchema = z.looseObject({ code: z.string(), message: z.string() });
/** Only what ops reads of `GET /definitions/:name/:version`: the steps, in order. */
const definitionStepsSchema = z.looseObject({
  compiled: z.looseObject({ steps: z.array(z.looseObject({ name: z.string() })) }),
});
const actionSchema = z.looseObject({
  status: z.string().optional(),
  state: z.string().optional(),
  note: z.string().optional(),
});

const optionalText = (value: unknown): string | null => (typeof value === "string" ? value : null);

const timerSchema = z.looseObject({
  id: z.string(),
  fireAt: z.string(),
  event: z.looseObject({
    type: z.string(),
    step: z.string().optional(),
    attempt: z.number().optional(),
    compensation: z.boolean().optional(),
  }),
});

const outboxRowSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  destination: z.string(),
  message: z.unknown(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  availableAt: z.string(),
  createdAt: z.string(),
});

/** An outbox message's name and step: an HTTP call's method and path, or its envelope's. */
function outboxContent(kind: string, message: unknown): { what: string; step: string | null } {
  const m = (typeof message === "object" && message !== null ? message : {}) as Record<
    string,
    unknown
  >;
  if (kind === "http") {
    return {
      what: `${optionalText(m.method) ?? "?"} ${optionalText(m.service) ?? "?"} ${optionalText(m.path) ?? ""}`,
      step: optionalText(m.step),
    };
  }
  try {
    const envelope = JSON.parse(optionalText(m.body) ?? "") as Record<string, unknown>;
    return { what: optionalText(envelope.name) ?? kind, step: optionalText(envelope.step) };
  } catch {
    return { what: kind, step: null };
  }
}

/** History rows come as stored (snake_case) or camelCase: both map here. */
function historyEntry(row: Record<string, unknown>, index: number): HistoryEntry {
  return {
    seq: typeof row.seq === "number" ? row.seq : index + 1,
    at: text(row.at),
    event: optionalText(row.event_type ?? row.eventType) ?? "event",
    status: optionalText(row.status) ?? "",
    state: optionalText(row.state) ?? "",
    applied: row.applied !== false,
    note: optionalText(row.note),
    actor: optionalText(row.actor),
    reason: optionalText(row.reason),
  };
}

/** Filters of {@link OrchestratorClient.listSagas}. */
export interface ListFilter {
  status?: string | undefined;
  name?: string | undefined;
  /** Stop after this many; defaults to 200. */
  limit?: number | undefined;
}

/** Options of {@link OrchestratorClient}. */
export interface OrchestratorClientOptions {
  /** Base URL of the orchestrator API, e.g. `http://127.0.0.1:3000`; trailing slashes are dropped. */
  baseUrl: string;
  /** The API's bearer token. */
  token: string;
  /** Defaults to the global fetch (tests pass a fake). */
  fetch?: typeof fetch | undefined;
  /** How long one request may take before it is aborted; defaults to 15 s. */
  timeoutMs?: number | undefined;
}

/** {@link OrchestratorClientOptions} with every default applied. */
export type ResolvedOrchestratorClientOptions = Required<{
  [Key in keyof OrchestratorClientOptions]: NonNullable<OrchestratorClientOptions[Key]>;
}>;

/** Applies the defaults once; an explicit `undefined` means the default too. */
export function resolveOrchestratorClientOptions(
  options: OrchestratorClientOptions,
): ResolvedOrchestratorClientOptions {
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    token: options.token,
    // Looked up at call time, not bound at import, so a test that replaces the global sees it.
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    timeoutMs: options.timeoutMs ?? 15_000,
  };
}

/** Talks to the orchestrator API with the bearer token. */
export class OrchestratorClient {
  private readonly options: ResolvedOrchestratorClientOptions;

  constructor(options: OrchestratorClientOptions) {
    this.options = resolveOrchestratorClientOptions(options);
  }

  private request(path: string, init: RequestInit = {}): Promise<Response> {
    return this.options.fetch(`${this.options.baseUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: "application/json",
        // Headers, not options: an absent content type must be absent, not "undefined".
        ...(init.body ? { "content-type": "application/json" } : {}),
      },
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
  }

  private async fail(response: Response, what: string): Promise<never> {
    const body = await response.text();
    throw OpsErrors.create(
      OpsErrorCode.orchestratorFailed,
      `${what}: the orchestrator answered ${response.status} ${body.slice(0, 300)}`,
      { status: response.status },
    );
  }

  /**
   * Sends `init` to `path` and parses the answer; null when this orchestrator does not serve the
   * route (404: it runs without that part). Any other failure throws, saying `what` was asked.
   */
  private async unlessAbsent<T>(
    path: string,
    what: string,
    parse: (json: unknown) => T,
    init: RequestInit = {},
  ): Promise<T | null> {
    const response = await this.request(path, init);
    if (response.status === 404) return null;
    if (!response.ok) await this.fail(response, what);
    return parse(await response.json());
  }

  /**
   * One saga with its snapshot and history; null when the orchestrator does not know it.
   * Throws {@link SagaArchivedError} when it finished and was pruned.
   */
  async getSaga(id: string): Promise<SagaView | null> {
    const response = await this.request(`/sagas/${encodeURIComponent(id)}`);
    if (response.status === 404) return null;
    if (response.status === 410) {
      const { message, details } = archivedBody.parse(await response.json());
      throw new SagaArchivedError({
        id: details.sagaId,
        prunedAt: details.prunedAt,
        location: details.location,
        locations: details.locations,
        message,
      });
    }
    // A malformed id cannot name a saga the orchestrator knows.
    if (response.status === 400) return null;
    if (!response.ok) await this.fail(response, `reading saga ${id}`);
    const saga = sagaSchema.parse(await response.json());
    const { snapshot } = saga;
    return {
      id: saga.id,
      name: saga.name,
      version: saga.version,
      status: snapshot.status,
      state: snapshot.state,
      createdAt: text(saga.createdAt),
      updatedAt: text(saga.updatedAt),
      pending: Object.fromEntries(
        Object.entries(snapshot.pending).map(([step, work]) => [
          step,
          {
            step: work.step,
            compensation: work.compensation,
            attempt: work.attempt,
            waitingFor: work.waitingFor,
          },
        ]),
      ),
      failure: snapshot.failure
        ? {
            step: snapshot.failure.step,
            kind: snapshot.failure.kind,
            code: snapshot.failure.code,
            message: snapshot.failure.message,
          }
        : null,
      pivotPassed: snapshot.pivotPassed,
      // The snapshot's steps come back from Postgres (jsonb) in its own key order; list them in
      // the order the definition runs them, as an operator reads a saga.
      steps: Object.fromEntries(
        (await this.stepOrder(saga.name, saga.version, Object.keys(snapshot.steps))).map((name) => {
          const step = snapshot.steps[name] as (typeof snapshot.steps)[string];
          return [
            name,
            { status: step.status, attempts: step.attempts, lastError: step.lastError },
          ];
        }),
      ),
      history: saga.history.map(historyEntry),
    };
  }

  /**
   * These step names in the order of the definition the saga runs; names the definition does
   * not list (or a definition the orchestrator no longer serves) keep their order, at the end.
   */
  private async stepOrder(name: string, version: number, names: string[]): Promise<string[]> {
    const response = await this.request(
      `/definitions/${encodeURIComponent(name)}/${encodeURIComponent(String(version))}`,
    );
    if (!response.ok) return names;
    const parsed = definitionStepsSchema.safeParse(await response.json());
    if (!parsed.success) return names;
    const order = parsed.data.compiled.steps.map((step) => step.name);
    const rank = (step: string) => {
      const index = order.indexOf(step);
      return index === -1 ? order.length : index;
    };
    return [...names].sort((a, b) => rank(a) - rank(b));
  }

  /**
   * The saga's pending timers, soonest first; null when this orchestrator does not serve them
   * (it runs without its database routes).
   */
  getTimers(id: string): Promise<TimerView[] | null> {
    const path = `/sagas/${encodeURIComponent(id)}/timers`;
    return this.unlessAbsent(path, `reading the timers of saga ${id}`, (json) =>
      z
        .array(timerSchema)
        .parse(json)
        .map((timer) => ({
          id: timer.id,
          fireAt: timer.fireAt,
          type: timer.event.type,
          step: timer.event.step ?? null,
          attempt: timer.event.attempt ?? null,
          compensation: timer.event.compensation ?? false,
        })),
    );
  }

  /**
   * The saga's outbox rows still in the table, oldest first; null when this orchestrator does
   * not serve them.
   */
  getOutbox(id: string): Promise<OutboxRowView[] | null> {
    const path = `/sagas/${encodeURIComponent(id)}/outbox`;
    return this.unlessAbsent(path, `reading the outbox of saga ${id}`, (json) =>
      z
        .array(outboxRowSchema)
        .parse(json)
        .map((row) => ({
          id: row.id,
          kind: row.kind,
          destination: row.destination,
          ...outboxContent(row.kind, row.message),
          attempts: row.attempts,
          lastError: row.lastError,
          availableAt: row.availableAt,
          createdAt: row.createdAt,
          message: row.message,
        })),
    );
  }

  /** Whether pruning is paused; null when this orchestrator runs without retention. */
  getRetention(): Promise<RetentionView | null> {
    return this.unlessAbsent("/retention", "reading the retention settings", (json) =>
      retentionSchema.parse(json),
    );
  }

  /** Pauses or resumes pruning on every replica; null when it runs without retention. */
  setRetentionPaused(paused: boolean, actor: string): Promise<RetentionView | null> {
    return this.unlessAbsent(
      `/retention/${paused ? "pause" : "resume"}`,
      `${paused ? "pausing" : "resuming"} retention`,
      (json) => retentionSchema.parse(json),
      { method: "POST", body: JSON.stringify({ actor }) },
    );
  }

  /** Sagas, newest first, following the cursor until `limit`. */
  async listSagas(filter: ListFilter = {}): Promise<SagaSummary[]> {
    const limit = filter.limit ?? 200;
    const found: SagaSummary[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(Math.min(200, limit - found.length)) });
      if (filter.status) query.set("status", filter.status);
      if (filter.name) query.set("name", filter.name);
      if (cursor) query.set("cursor", cursor);
      const response = await this.request(`/sagas?${query}`);
      if (!response.ok) await this.fail(response, "listing sagas");
      const page = listSchema.parse(await response.json());
      found.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && found.length < limit);
    return found;
  }

  /** Asks for an operator action; a refusal comes back with the API's code and reason. */
  async act(
    id: string,
    action: OperatorAction,
    body: {
      actor: string;
      reason: string;
      output?: Record<string, unknown> | undefined;
      expected?: OperatorExpectation | undefined;
      pivotOutcome?: "not-applied" | undefined;
      /** complete-wait: the event that completes the wait, and its payload. */
      event?: string | undefined;
      payload?: Record<string, unknown> | undefined;
    },
  ): Promise<ActionOutcome> {
    const response = await this.request(`/sagas/${encodeURIComponent(id)}/${action}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const json: unknown = await response.json().catch(() => ({}));
    if (response.ok) {
      const done = actionSchema.parse(json);
      return { ok: true, status: done.status ?? "", state: done.state ?? "", note: done.note };
    }
    if (response.status >= 500 || response.status === 401) {
      await this.fail(response, `${action} on saga ${id}`);
    }
    const error = errorSchema.safeParse(json);
    return {
      ok: false,
      httpStatus: response.status,
      code: error.success ? error.data.code : `HTTP_${response.status}`,
      message: error.success ? error.data.message : JSON.stringify(json),
    };
  }
}

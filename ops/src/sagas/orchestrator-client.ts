// The one place ops talks to the orchestrator API: every request carries the bearer token, and
// every answer is parsed with the API's own schemas (@sagaworks/orchestrator-api, which its
// routes declare) and mapped to what the commands show here.
import {
  errorBody,
  type HistoryEntryView,
  type OperatorActionBody,
  type OutboxRow,
  outboxRowSchema,
  retentionViewBody,
  type SagaArchivedBody,
  type SagaSummaryView,
  sagaArchivedBody,
  sagaDetailSchema,
  sagaPageBody,
  type TimerRow,
  timerRowSchema,
} from "@sagaworks/orchestrator-api";
import { z } from "zod";
import { OpsErrorCode, OpsErrors } from "../errors.ts";

/**
 * What ops knows of one saga: the API's fields, its snapshot's status, state, pending work,
 * failure and steps (steps in the order the definition runs them), and its history.
 */
export type SagaView = Pick<
  SagaSummaryView,
  "id" | "name" | "version" | "createdAt" | "updatedAt"
> &
  Pick<SnapshotView, "status" | "state" | "pending" | "failure" | "pivotPassed" | "steps"> & {
    history: HistoryEntry[];
  };

/**
 * A saga that finished and was pruned: where its record was archived (the 410's details), and
 * the orchestrator's sentence, as the inspector shows it.
 */
export type ArchivedSagaView = Omit<SagaArchivedBody["details"], "sagaId"> & {
  id: string;
  message: string;
};

/** Thrown by reads of a saga that was archived and pruned (the API's 410 SAGA_ARCHIVED). */
export class SagaArchivedError extends Error {
  override readonly name = "SagaArchivedError";
  readonly archived: ArchivedSagaView;

  constructor(archived: ArchivedSagaView) {
    super(archived.message);
    this.archived = archived;
  }
}

/**
 * Whether pruning is paused, and the orchestrator replica's settings (`GET /retention`).
 * `archiveIndexRetentionMs` may be absent: orchestrators before it was a setting do not send it.
 */
const retentionAnswer = retentionViewBody.partial({ archiveIndexRetentionMs: true });
/** Whether pruning is paused, and the orchestrator replica's settings. */
export type RetentionView = z.infer<typeof retentionAnswer>;

/** One entry of a saga's timeline; `event` is the API's `eventType` (`reply`, `operator.retry`…). */
export type HistoryEntry = Pick<
  HistoryEntryView,
  "seq" | "at" | "status" | "state" | "applied" | "note" | "actor" | "reason"
> & { event: string };

/** A pending timer of a saga (`GET /sagas/:id/timers`), soonest first. */
export type TimerView = Pick<TimerRow, "id" | "fireAt"> & {
  /** `step-timeout`, `retry-timer`, `saga-deadline`. */
  type: string;
  /** The step (and attempt) a step timeout or retry timer is for; null for the deadline. */
  step: string | null;
  attempt: number | null;
  compensation: boolean;
};

/**
 * A row of the saga's outbox (`GET /sagas/:id/outbox`), oldest first: not yet sent, or sent and
 * deleted with the saga's next commit; `message` is the row's message as stored, for --json.
 */
export type OutboxRowView = OutboxRow & {
  /** What it carries: the envelope's name (`ReserveCredit`), or the HTTP call (`GET customer /customers/…`). */
  what: string;
  step: string | null;
};

/** A row of `GET /sagas`. */
export type SagaSummary = SagaSummaryView;

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
export type OperatorExpectation = NonNullable<OperatorActionBody["expected"]>;

/**
 * What ops reads of a saga's snapshot, which the API passes on as the engine keeps it; the rest
 * is dropped.
 */
const snapshotSchema = z.object({
  status: z.string(),
  state: z.string(),
  pending: z.record(
    z.string(),
    z.object({
      step: z.string(),
      compensation: z.boolean(),
      attempt: z.number(),
      waitingFor: z.string(),
      /** The steps sent along with this one as a chain: any of them may be where it waits. */
      chain: z.array(z.string()).optional(),
    }),
  ),
  failure: z
    .object({ step: z.string(), kind: z.string(), code: z.string(), message: z.string() })
    .nullable(),
  pivotPassed: z.boolean(),
  steps: z.record(
    z.string(),
    z.object({
      status: z.string(),
      attempts: z.number(),
      lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
});
type SnapshotView = z.infer<typeof snapshotSchema>;
const sagaAnswer = sagaDetailSchema.extend({ snapshot: snapshotSchema });

/** What ops reads of a timer's event: the engine event it fires. */
const timerAnswer = timerRowSchema.extend({
  event: z.looseObject({
    type: z.string(),
    step: z.string().optional(),
    attempt: z.number().optional(),
    compensation: z.boolean().optional(),
  }),
});

/** Only what ops reads of `GET /definitions/:name/:version`: the steps, in order. */
const definitionStepsSchema = z.looseObject({
  compiled: z.looseObject({ steps: z.array(z.looseObject({ name: z.string() })) }),
});
/** The answer to an operator action (the route declares no schema for it). */
const actionSchema = z.looseObject({
  status: z.string().optional(),
  state: z.string().optional(),
  note: z.string().optional(),
});

const optionalText = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * `json` parsed with the API's `schema`; an answer that does not match throws, saying what was
 * asked (`what`) and which fields are wrong.
 */
function parseAnswer<Schema extends z.ZodType>(
  schema: Schema,
  json: unknown,
  what: string,
): z.output<Schema> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw OpsErrors.create(
    OpsErrorCode.orchestratorFailed,
    `${what}: the orchestrator's answer does not match its API:\n${z.prettifyError(parsed.error)}`,
    { issues: parsed.error.issues },
    { cause: parsed.error },
  );
}

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

/** A history entry as ops shows it. */
function historyEntry(entry: HistoryEntryView): HistoryEntry {
  const { seq, at, eventType, status, state, applied, note, actor, reason } = entry;
  return { seq, at, event: eventType, status, state, applied, note, actor, reason };
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
   * Sends `init` to `path` and parses the answer with `schema`; null when this orchestrator does not serve the
   * route (404: it runs without that part). Any other failure throws, saying `what` was asked.
   */
  private async unlessAbsent<Schema extends z.ZodType>(
    path: string,
    what: string,
    schema: Schema,
    init: RequestInit = {},
  ): Promise<z.output<Schema> | null> {
    const response = await this.request(path, init);
    if (response.status === 404) return null;
    if (!response.ok) await this.fail(response, what);
    return parseAnswer(schema, await response.json(), what);
  }

  /**
   * One saga with its snapshot and history; null when the orchestrator does not know it.
   * Throws {@link SagaArchivedError} when it finished and was pruned.
   */
  async getSaga(id: string): Promise<SagaView | null> {
    const response = await this.request(`/sagas/${encodeURIComponent(id)}`);
    if (response.status === 404) return null;
    if (response.status === 410) {
      const { message, details } = parseAnswer(
        sagaArchivedBody,
        await response.json(),
        `reading saga ${id}`,
      );
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
    const saga = parseAnswer(sagaAnswer, await response.json(), `reading saga ${id}`);
    const { snapshot } = saga;
    return {
      id: saga.id,
      name: saga.name,
      version: saga.version,
      status: snapshot.status,
      state: snapshot.state,
      createdAt: saga.createdAt,
      updatedAt: saga.updatedAt,
      pending: snapshot.pending,
      failure: snapshot.failure,
      pivotPassed: snapshot.pivotPassed,
      // The snapshot's steps come back from Postgres (jsonb) in its own key order; list them in
      // the order the definition runs them, as an operator reads a saga.
      steps: Object.fromEntries(
        (await this.stepOrder(saga.name, saga.version, Object.keys(snapshot.steps))).map((name) => {
          return [name, snapshot.steps[name] as SnapshotView["steps"][string]];
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
  async getTimers(id: string): Promise<TimerView[] | null> {
    const path = `/sagas/${encodeURIComponent(id)}/timers`;
    const timers = await this.unlessAbsent(
      path,
      `reading the timers of saga ${id}`,
      z.array(timerAnswer),
    );
    return (
      timers?.map((timer) => ({
        id: timer.id,
        fireAt: timer.fireAt,
        type: timer.event.type,
        step: timer.event.step ?? null,
        attempt: timer.event.attempt ?? null,
        compensation: timer.event.compensation ?? false,
      })) ?? null
    );
  }

  /**
   * The saga's outbox rows still in the table, oldest first; null when this orchestrator does
   * not serve them.
   */
  async getOutbox(id: string): Promise<OutboxRowView[] | null> {
    const path = `/sagas/${encodeURIComponent(id)}/outbox`;
    const rows = await this.unlessAbsent(
      path,
      `reading the outbox of saga ${id}`,
      z.array(outboxRowSchema),
    );
    // In the order --json has always printed: what the row carries next to where it goes.
    return (
      rows?.map(({ id, kind, destination, message, ...rest }) => ({
        id,
        kind,
        destination,
        ...outboxContent(kind, message),
        ...rest,
        message,
      })) ?? null
    );
  }

  /** Whether pruning is paused; null when this orchestrator runs without retention. */
  getRetention(): Promise<RetentionView | null> {
    return this.unlessAbsent("/retention", "reading the retention settings", retentionAnswer);
  }

  /** Pauses or resumes pruning on every replica; null when it runs without retention. */
  setRetentionPaused(paused: boolean, actor: string): Promise<RetentionView | null> {
    return this.unlessAbsent(
      `/retention/${paused ? "pause" : "resume"}`,
      `${paused ? "pausing" : "resuming"} retention`,
      retentionAnswer,
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
      const page = parseAnswer(sagaPageBody, await response.json(), "listing sagas");
      found.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && found.length < limit);
    return found;
  }

  /** Asks for an operator action; a refusal comes back with the API's code and reason. */
  async act(id: string, action: OperatorAction, body: OperatorActionBody): Promise<ActionOutcome> {
    const response = await this.request(`/sagas/${encodeURIComponent(id)}/${action}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const json: unknown = await response.json().catch(() => ({}));
    if (response.ok) {
      const done = parseAnswer(actionSchema, json, `${action} on saga ${id}`);
      return { ok: true, status: done.status ?? "", state: done.state ?? "", note: done.note };
    }
    if (response.status >= 500 || response.status === 401) {
      await this.fail(response, `${action} on saga ${id}`);
    }
    const error = errorBody.safeParse(json);
    return {
      ok: false,
      httpStatus: response.status,
      code: error.success ? error.data.code : `HTTP_${response.status}`,
      message: error.success ? error.data.message : JSON.stringify(json),
    };
  }
}

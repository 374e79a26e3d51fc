// The orchestrator API as the inspector uses it. Routes with response schemas are typed from the
// generated OpenAPI types (api-types.ts); what a schema declares loosely (a saga's snapshot and
// history events) and the reads that declare none (the definitions) are typed from the engine's
// and compiler's own exported types.
import type { CompiledSaga } from "@sagaworks/saga-definition";
import type { SagaEvent, SagaSnapshot, SagaStatus } from "@sagaworks/saga-engine";
import type { paths } from "./api-types.ts";
import { clearToken, readToken } from "./session.ts";

type JsonOk<Operation> = Operation extends {
  responses: { 200: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;

/** One row of the saga list. */
export type SagaRow = JsonOk<paths["/sagas/search"]["get"]>["items"][number];
/** The list's filters and paging. */
export type SearchQuery = NonNullable<paths["/sagas/search"]["get"]["parameters"]["query"]>;
/** How many sagas are in each status. */
export type StatusCounts = JsonOk<paths["/sagas/counts"]["get"]>;
/** A timer that has not fired yet. */
export type TimerRow = JsonOk<paths["/sagas/{id}/timers"]["get"]>[number];
/** An outbox row not yet deleted. */
export type OutboxRow = JsonOk<paths["/sagas/{id}/outbox"]["get"]>[number];
/** The body every operator action takes; skip adds `output`. */
export type OperatorBody = NonNullable<
  paths["/sagas/{id}/retry"]["post"]["requestBody"]
>["content"]["application/json"];
/** The skip action's body. */
export type SkipBody = NonNullable<
  paths["/sagas/{id}/skip"]["post"]["requestBody"]
>["content"]["application/json"];
/** The compensate action's body: it may state that the pivot did not apply. */
export type CompensateBody = NonNullable<
  paths["/sagas/{id}/compensate"]["post"]["requestBody"]
>["content"]["application/json"];
/** The resolve action's body (its expectation is optional). */
export type ResolveBody = NonNullable<
  paths["/sagas/{id}/resolve"]["post"]["requestBody"]
>["content"]["application/json"];
/** `GET /dead-letters`: every DLQ of the deployment with its depth. */
export type DeadLetterQueues = JsonOk<paths["/dead-letters"]["get"]>;
/** `GET /dead-letters/:queue`: one DLQ read, grouped, joined and planned. */
export type DeadLetterView = JsonOk<paths["/dead-letters/{queue}"]["get"]>;
/** An operator action's name. */
export type OperatorAction = "retry" | "skip" | "compensate" | "resolve";

/** An effect as the history keeps it: its kind and routing, not its payload. */
export interface EffectSummary {
  type: string;
  service?: string;
  command?: string;
  method?: string;
  path?: string;
  step?: string | null;
  attempt?: number;
  compensation?: boolean;
  timerId?: string;
  fireAt?: string;
  event?: string;
  name?: string;
  status?: string;
}

/** `GET /sagas/:id` as its schema declares it. */
type SagaBody = JsonOk<paths["/sagas/{id}"]["get"]>;

/** One history row: an event offered to the saga, applied or not. */
export type HistoryEntry = Omit<SagaBody["history"][number], "event" | "status" | "effects"> & {
  event: SagaEvent;
  status: SagaStatus;
  effects: EffectSummary[];
};

/** `GET /sagas/:id`, its snapshot and history typed by the engine. */
export type SagaView = Omit<SagaBody, "snapshot" | "history"> & {
  snapshot: SagaSnapshot;
  history: HistoryEntry[];
};

/** `GET /definitions`. */
export interface DefinitionSummary {
  name: string;
  version: number;
  hash: string;
  deployed: boolean;
}

/** `GET /definitions/:name/:version`. */
export interface DefinitionView {
  compiled: CompiledSaga;
  mermaid: string;
}

/** An answer other than 2xx: the API's code and message, shown as they are. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** Called when the API refuses the token, so the app can ask for it again. */
let onUnauthorized: () => void = () => {};

/** Sets what happens when the API answers 401. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/**
 * Calls the API on this page's origin with the session's token (always: every saga read will
 * require it). A 401 forgets the token.
 */
async function call<T>(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  token = readToken(),
): Promise<T> {
  const response = await fetch(new URL(path, window.location.origin), {
    method,
    headers: {
      accept: "application/json",
      // Headers, not options: an absent header must be absent, not the text "undefined".
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { code: `HTTP_${response.status}`, message: text };
  }
  if (!response.ok) {
    const error = (parsed ?? {}) as { code?: string; message?: string };
    if (response.status === 401) {
      clearToken();
      onUnauthorized();
    }
    throw new ApiError(
      response.status,
      error.code ?? `HTTP_${response.status}`,
      error.message ?? response.statusText,
    );
  }
  return parsed as T;
}

const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
};

/** Checks a token before keeping it: any read that requires it. */
export function checkToken(token: string): Promise<StatusCounts> {
  return call("GET", "/sagas/counts", undefined, token);
}

/** Sagas, newest first, filtered; one page. */
export function searchSagas(filters: SearchQuery): Promise<{
  items: SagaRow[];
  nextCursor: string | null;
}> {
  return call("GET", `/sagas/search${query(filters)}`);
}

/** Counts per status under the list's name and age filters. */
export function countSagas(filters: {
  name?: string;
  createdAfter?: string;
}): Promise<StatusCounts> {
  return call("GET", `/sagas/counts${query(filters)}`);
}

/** One saga with its history. */
export function getSaga(id: string): Promise<SagaView> {
  return call("GET", `/sagas/${encodeURIComponent(id)}`);
}

/** A saga's timers that have not fired. */
export function getTimers(id: string): Promise<TimerRow[]> {
  return call("GET", `/sagas/${encodeURIComponent(id)}/timers`);
}

/** A saga's outbox rows still in the table. */
export function getOutbox(id: string): Promise<OutboxRow[]> {
  return call("GET", `/sagas/${encodeURIComponent(id)}/outbox`);
}

/** Every stored definition. */
export function listDefinitions(): Promise<DefinitionSummary[]> {
  return call("GET", "/definitions");
}

/** One compiled definition and its diagram. */
export function getDefinition(name: string, version: number): Promise<DefinitionView> {
  return call("GET", `/definitions/${encodeURIComponent(name)}/${version}`);
}

/** An operator action; a refusal is thrown as an {@link ApiError} with the API's reason. */
export function operate(
  id: string,
  action: OperatorAction,
  body: OperatorBody | SkipBody | CompensateBody | ResolveBody,
): Promise<{ status?: string; state?: string; note?: string }> {
  return call("POST", `/sagas/${encodeURIComponent(id)}/${action}`, body);
}

/** The DLQs of the deployment with their depth (queue attributes only: hides nothing). */
export function listDeadLetters(): Promise<DeadLetterQueues> {
  return call("GET", "/dead-letters");
}

/** Reads one DLQ without taking anything out of it, with the dry-run replay plan. */
export function readDeadLetters(
  queue: string,
  options: { includeStale: boolean },
): Promise<DeadLetterView> {
  return call(
    "GET",
    `/dead-letters/${encodeURIComponent(queue)}${query({ includeStale: options.includeStale ? "true" : undefined })}`,
  );
}

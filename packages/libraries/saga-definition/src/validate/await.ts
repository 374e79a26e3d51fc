// Checks of `await` steps: the events exist in the contracts and are classified, the correlation
// path exists in the saga's data, is always there, and has the type of every event's correlation
// field, and the deadline is present, no longer than the saga's, and does not compensate past
// the pivot.
import { contractJsonSchema, type ServiceContract } from "../contract-registry.ts";
import type { AwaitStepDefinition } from "../definition-schema.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import {
  type JsonType,
  lookupPath,
  objectShape,
  schemaTypes,
  typesCompatible,
} from "../json-schema-walk.ts";
import { parseMappingString } from "../mapping.ts";
import {
  type AnalysisContext,
  classifyOutcomes,
  describeTypes,
  isRecord,
  knownService,
  list,
  stepPath,
} from "./context.ts";
import type { Collector } from "./diagnostics.ts";
import { resolveContextPath } from "./paths.ts";

/** Types a correlation key may have: it is compared as text. */
const KEY_TYPES: ReadonlySet<JsonType> = new Set(["string", "integer"]);

/**
 * An await step written without `deadline`: one diagnostic that says why it is required, instead
 * of the generic "field missing". Returns true when it reported one (the caller then drops the
 * structural issue for the same field).
 */
export function checkAwaitDeadlinePresent(raw: unknown, at: JsonPath, out: Collector): boolean {
  if (!isRecord(raw) || raw.kind !== "await" || Object.hasOwn(raw, "deadline")) return false;
  out.add(
    DiagnosticCode.awaitDeadlineMissing,
    at,
    `Add a "deadline" to step "${String(raw.name)}", e.g. { "after": "2h", "otherwise": "compensate" }: a wait without one hangs forever when the event never comes.`,
  );
  return true;
}

/** Whether a structural issue is the missing deadline that `checkAwaitDeadlinePresent` reported. */
export function isMissingDeadlineIssue(issue: { code: string; path: PropertyKey[] }): boolean {
  return issue.code === "invalid_type" && issue.path.length === 1 && issue.path[0] === "deadline";
}

/** An await step after the pivot: it must go forward, so its deadline parks the saga. */
export function checkAwaitAfterPivot(
  ctx: AnalysisContext,
  step: AwaitStepDefinition,
  index: number,
  after: string,
) {
  if (step.deadline.otherwise === "compensate") {
    ctx.out.add(
      DiagnosticCode.awaitDeadlineCompensatesAfterPivot,
      [...stepPath(ctx, index), "deadline", "otherwise"],
      `Write "otherwise": "needs-intervention": ${after}, so nothing can be compensated when its deadline passes; an operator completes or re-opens the wait.`,
    );
  }
  const failures = step.outcomes.businessFailure ?? [];
  if (failures.length > 0) {
    ctx.out.add(
      DiagnosticCode.retriableStepHasBusinessFailure,
      [...stepPath(ctx, index), "outcomes", "businessFailure"],
      `Remove the business failures: ${after} and must eventually succeed; move the pivot after this step if the event can refuse.`,
      { businessFailure: failures },
    );
  }
}

/** Every check of one await step. */
export function checkAwaitStep(ctx: AnalysisContext, step: AwaitStepDefinition, index: number) {
  const path: JsonPath = stepPath(ctx, index);
  checkDeadline(ctx, step, path);
  const service = knownService(
    ctx,
    step.service,
    [...path, "service"],
    `"${step.service}" and its events`,
  );
  if (!service) {
    checkCorrelation(ctx, step, index, undefined);
    return;
  }
  const events = Object.keys(service.events ?? {});
  if (events.length === 0) {
    ctx.out.add(
      DiagnosticCode.serviceTransportUnsupported,
      [...path, "service"],
      `Service "${step.service}" sends no events: wait for an event a service declares under "events" in its contract.`,
    );
    checkCorrelation(ctx, step, index, undefined);
    return;
  }
  checkEventOutcomes(ctx, step, path, events);
  checkCorrelation(ctx, step, index, service);
}

/** Every listed event is declared, and listed once; the service may send others not waited on. */
function checkEventOutcomes(
  ctx: AnalysisContext,
  step: AwaitStepDefinition,
  path: JsonPath,
  events: readonly string[],
) {
  classifyOutcomes(
    ctx,
    step.outcomes.success,
    step.outcomes.businessFailure ?? [],
    events,
    path,
    "event",
    (name, at) =>
      ctx.out.add(
        DiagnosticCode.eventUnknown,
        at,
        `Service "${step.service}" sends no event "${name}" (it sends ${list(events)}): fix the name or declare the event in its contract.`,
      ),
  );
}

function checkDeadline(ctx: AnalysisContext, step: AwaitStepDefinition, path: JsonPath) {
  const ms = parseDuration(step.deadline.after);
  if (ms === undefined) return;
  if (ctx.sagaTimeoutMs !== undefined && ms > ctx.sagaTimeoutMs) {
    ctx.out.add(
      DiagnosticCode.awaitDeadlineExceedsSagaTimeout,
      [...path, "deadline", "after"],
      `Shorten the deadline to at most the saga timeout (${formatDuration(ctx.sagaTimeoutMs)}) or raise the saga timeout: the saga would time out while still waiting.`,
      { deadlineMs: ms, sagaTimeoutMs: ctx.sagaTimeoutMs },
    );
  }
}

/** The correlation field of each listed event, with its JSON type. */
function correlationFields(
  ctx: AnalysisContext,
  step: AwaitStepDefinition,
  index: number,
  service: ServiceContract,
): Array<{ event: string; field: string; types: Set<JsonType> | undefined }> {
  const fields: Array<{ event: string; field: string; types: Set<JsonType> | undefined }> = [];
  const listed = [...step.outcomes.success, ...(step.outcomes.businessFailure ?? [])];
  for (const name of listed) {
    const event =
      service.events && Object.hasOwn(service.events, name) ? service.events[name] : undefined;
    if (!event) continue;
    const json = contractJsonSchema(event.payload, "output");
    const found = lookupPath(json, json, event.correlation.split("."));
    if (!found.found) {
      ctx.out.add(
        DiagnosticCode.eventCorrelationFieldUnknown,
        [...stepPath(ctx, index), "outcomes"],
        `Event "${name}" names "${event.correlation}" as its correlation field, but its payload has no such field: fix the event's contract.`,
        { event: name, field: event.correlation },
      );
      continue;
    }
    fields.push({ event: name, field: event.correlation, types: schemaTypes(json, found.schema) });
  }
  return fields;
}

function checkCorrelation(
  ctx: AnalysisContext,
  step: AwaitStepDefinition,
  index: number,
  service: ServiceContract | undefined,
) {
  const path: JsonPath = [...stepPath(ctx, index), "correlation"];
  const parsed = parseMappingString(step.correlation);
  if (parsed.kind !== "path") {
    ctx.out.add(
      DiagnosticCode.awaitCorrelationInvalid,
      path,
      `Write the correlation as a path into the saga's data, e.g. "$.input.paymentId" (${parsed.kind === "invalid-path" ? parsed.reason : "a literal would make every saga wait on one key"}).`,
    );
    return;
  }
  const sources = resolveContextPath(ctx, parsed.segments, step.correlation, path, {
    stepIndex: index,
    inCompensation: false,
    target: `the correlation key of "${step.name}"`,
  });
  if (!sources) return;
  const keyTypes = new Set<JsonType>();
  for (const source of sources) {
    for (const type of schemaTypes(source.root, source.schema) ?? []) keyTypes.add(type);
  }
  const wrong = [...keyTypes].filter((type) => !KEY_TYPES.has(type));
  if (keyTypes.size === 0 || wrong.length > 0) {
    ctx.out.add(
      DiagnosticCode.awaitCorrelationTypeMismatch,
      path,
      `"${step.correlation}" is ${keyTypes.size === 0 ? "of no declared type" : describeTypes(keyTypes)}; a correlation key must be a string or an integer: point at the id the events carry.`,
      { keyTypes: [...keyTypes] },
    );
    return;
  }
  if (parsed.segments[0] === "input" && ctx.inputSchema !== undefined) {
    const optional = optionalSegment(ctx, parsed.segments.slice(1));
    if (optional !== undefined) {
      ctx.out.add(
        DiagnosticCode.awaitCorrelationOptional,
        path,
        `The input schema does not require "${optional}", so "${step.correlation}" may be absent and the wait would have no key: add "${optional}" to "required".`,
        { field: optional },
      );
    }
  }
  if (!service) return;
  for (const { event, field, types } of correlationFields(ctx, step, index, service)) {
    if (types && !typesCompatible(keyTypes, types)) {
      ctx.out.add(
        DiagnosticCode.awaitCorrelationTypeMismatch,
        path,
        `"${step.correlation}" is ${describeTypes(keyTypes)} but event "${event}" carries its key "${field}" as ${describeTypes(types)}: they could never be equal.`,
        { event, keyTypes: [...keyTypes], eventTypes: [...types] },
      );
    }
  }
}

/** The first field on an input path the schema does not require, if any. */
function optionalSegment(
  ctx: AnalysisContext,
  segments: ReadonlyArray<string | number>,
): string | undefined {
  const root = ctx.inputSchema;
  if (root === undefined) return undefined;
  let current: unknown = root;
  for (const segment of segments) {
    if (typeof segment === "number") return String(segment);
    const shape = objectShape(root, current);
    if (shape && !shape.required.includes(segment)) return segment;
    const next = lookupPath(root, current, [segment]);
    if (!next.found) return undefined;
    current = next.schema;
  }
  return undefined;
}

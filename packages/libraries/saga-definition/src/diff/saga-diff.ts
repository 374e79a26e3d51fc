// Comparing two compiled versions of a saga: what a reviewer (and CI) must know before a changed
// definition is deployed. Pure: compiled sagas and definitions in, findings out, each with the
// JSON path in the *new* definition file where it should be shown (the caller locates it).
//
// Severity: an `error` is something that breaks a deployment or the sagas already running (the
// orchestrator would refuse to start, a client's start request that worked is now refused, an
// old version's in-flight sagas can no longer talk to a service); a `note` is a change worth
// reading that is safe once the version is bumped, since running sagas stay on the version they
// started with.
import { compileSaga } from "../compile.ts";
import type { CompiledSaga, CompiledStep } from "../compiled-saga.ts";
import { canonicalJson } from "../content-hash.ts";
import type { ContractRegistry } from "../contract-registry.ts";
import type { JsonPath } from "../errors.ts";
import { inputNarrowings } from "./input-narrowing.ts";
import { type StepAspectKind, stepAspects } from "./step-aspects.ts";

/** Stable codes of the findings of `saga diff`. */
export const SagaDiffCode = {
  versionNotBumped: "SAGA_VERSION_NOT_BUMPED",
  versionLowered: "SAGA_VERSION_LOWERED",
  sagaAdded: "SAGA_ADDED",
  sagaRemoved: "SAGA_REMOVED",
  stepAdded: "SAGA_STEP_ADDED",
  stepRemoved: "SAGA_STEP_REMOVED",
  stepsReordered: "SAGA_STEPS_REORDERED",
  pivotMoved: "SAGA_PIVOT_MOVED",
  actionChanged: "SAGA_STEP_ACTION_CHANGED",
  mappingChanged: "SAGA_MAPPING_CHANGED",
  outcomesChanged: "SAGA_OUTCOMES_CHANGED",
  compensationChanged: "SAGA_COMPENSATION_CHANGED",
  retryChanged: "SAGA_RETRY_CHANGED",
  timeoutChanged: "SAGA_TIMEOUT_CHANGED",
  descriptionChanged: "SAGA_DESCRIPTION_CHANGED",
  stepChanged: "SAGA_STEP_CHANGED",
  definitionChanged: "SAGA_DEFINITION_CHANGED",
  inputNarrowed: "SAGA_INPUT_NARROWED",
  inputChanged: "SAGA_INPUT_CHANGED",
  contractBreaksInFlight: "SAGA_CONTRACT_BREAKS_IN_FLIGHT",
  inFlight: "SAGA_IN_FLIGHT",
  inFlightUnavailable: "SAGA_IN_FLIGHT_UNAVAILABLE",
  baseUnreadable: "SAGA_DIFF_BASE_UNREADABLE",
} as const;
export type SagaDiffCode = (typeof SagaDiffCode)[keyof typeof SagaDiffCode];

/** How much a finding matters: errors fail CI (exit 1), notes are for the reviewer. */
export type SagaChangeSeverity = "error" | "note";

/** One finding of a comparison. */
export interface SagaChange {
  code: SagaDiffCode;
  severity: SagaChangeSeverity;
  message: string;
  /** Where to show it in the new definition file (`[]`: the top; the file is gone: ignored). */
  path: JsonPath;
  /** The step it is about, when it is about one. */
  step?: string;
}

const ASPECT_CODES: Record<StepAspectKind, SagaDiffCode> = {
  action: SagaDiffCode.actionChanged,
  mapping: SagaDiffCode.mappingChanged,
  outcomes: SagaDiffCode.outcomesChanged,
  compensation: SagaDiffCode.compensationChanged,
  retry: SagaDiffCode.retryChanged,
  timeout: SagaDiffCode.timeoutChanged,
  description: SagaDiffCode.descriptionChanged,
  other: SagaDiffCode.stepChanged,
};

const MAX_VALUE_TEXT = 80;

function shown(value: unknown): string {
  const text = value === undefined ? "none" : JSON.stringify(value);
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT - 1)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Dotted paths where two values differ, descending into objects up to `depth` levels. */
function differences(before: unknown, after: unknown, prefix: string, depth: number): string[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  if (depth > 0 && isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) =>
      differences(before[key], after[key], prefix ? `${prefix}.${key}` : key, depth - 1),
    );
  }
  const change =
    before === null || before === undefined
      ? `added ${shown(after)}`
      : after === null || after === undefined
        ? `removed (was ${shown(before)})`
        : `${shown(before)} → ${shown(after)}`;
  return [prefix ? `${prefix}: ${change}` : change];
}

/** `a: 1 → 2, b.c: x → y` for objects (nested up to three levels), `old → new` otherwise. */
export function describeChange(before: unknown, after: unknown): string {
  return differences(before, after, "", 3).join(", ");
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

function stepChanges(before: CompiledStep, after: CompiledStep): SagaChange[] {
  const changes: SagaChange[] = [];
  const oldAspects = new Map(stepAspects(before).map((aspect) => [aspect.label, aspect]));
  const newAspects = stepAspects(after);
  const base: JsonPath = ["steps", after.index];
  for (const aspect of newAspects) {
    const old = oldAspects.get(aspect.label);
    oldAspects.delete(aspect.label);
    if (old && same(old.value, aspect.value)) continue;
    changes.push({
      code: ASPECT_CODES[aspect.kind],
      severity: "note",
      message: `Step "${after.name}": ${aspect.label} changed (${describeChange(old?.value, aspect.value)}).`,
      path: [...base, ...aspect.path],
      step: after.name,
    });
  }
  // Parts the old step had and the new one has not (e.g. a command step became an HTTP step).
  for (const old of oldAspects.values()) {
    if (old.value === null || old.value === undefined) continue;
    changes.push({
      code: ASPECT_CODES[old.kind],
      severity: "note",
      message: `Step "${after.name}": ${old.label} removed (was ${shown(old.value)}).`,
      path: base,
      step: after.name,
    });
  }
  return changes;
}

/** Top-level fields compared on their own below; any other field is compared whole. */
const TOP_COVERED = new Set([
  "format",
  "name",
  "version",
  "hash",
  "description",
  "input",
  "timeoutMs",
  "pivot",
  "initial",
  "steps",
  "states",
]);

/**
 * Everything that differs between the compiled saga at the base (`before`) and now (`after`),
 * for one saga name. A changed machine under the same version is the one error here: the
 * orchestrator refuses to start with it; so is a lower version and a narrowed input schema.
 */
export function diffSagas(before: CompiledSaga, after: CompiledSaga): SagaChange[] {
  const changes: SagaChange[] = [];
  if (after.version < before.version) {
    changes.push({
      code: SagaDiffCode.versionLowered,
      severity: "error",
      message: `"version" went down from ${before.version} to ${after.version}: versions only go up; use ${before.version + 1}.`,
      path: ["version"],
    });
  }

  const oldByName = new Map(before.steps.map((step) => [step.name, step]));
  const newByName = new Map(after.steps.map((step) => [step.name, step]));
  for (const step of after.steps) {
    const old = oldByName.get(step.name);
    if (!old) {
      changes.push({
        code: SagaDiffCode.stepAdded,
        severity: "note",
        message: `Step "${step.name}" added at position ${step.index + 1}.`,
        path: ["steps", step.index],
        step: step.name,
      });
      continue;
    }
    changes.push(...stepChanges(old, step));
  }
  for (const step of before.steps) {
    if (newByName.has(step.name)) continue;
    changes.push({
      code: SagaDiffCode.stepRemoved,
      severity: "note",
      message: `Step "${step.name}" (position ${step.index + 1} in v${before.version}) removed.`,
      path: ["steps"],
      step: step.name,
    });
  }
  const oldOrder = before.steps.map((s) => s.name).filter((name) => newByName.has(name));
  const newOrder = after.steps.map((s) => s.name).filter((name) => oldByName.has(name));
  const firstMoved = newOrder.findIndex((name, index) => oldOrder[index] !== name);
  if (firstMoved >= 0) {
    const moved = newByName.get(newOrder[firstMoved] as string) as CompiledStep;
    changes.push({
      code: SagaDiffCode.stepsReordered,
      severity: "note",
      message: `Steps reordered: ${oldOrder.join(", ")} → ${newOrder.join(", ")}.`,
      path: ["steps", moved.index],
      step: moved.name,
    });
  }
  if (before.pivot !== after.pivot) {
    const pivot = after.pivot === null ? undefined : newByName.get(after.pivot);
    changes.push({
      code: SagaDiffCode.pivotMoved,
      severity: "note",
      message: `The pivot moved from ${before.pivot === null ? "none" : `"${before.pivot}"`} to ${after.pivot === null ? "none" : `"${after.pivot}"`}: which steps are compensated and which retried until success changed.`,
      path: pivot ? ["steps", pivot.index, "pivot"] : ["steps"],
      ...(pivot ? { step: pivot.name } : {}),
    });
  }

  if (before.timeoutMs !== after.timeoutMs) {
    changes.push({
      code: SagaDiffCode.timeoutChanged,
      severity: "note",
      message: `The saga's timeout changed (${describeChange(before.timeoutMs, after.timeoutMs)} ms).`,
      path: ["timeout"],
    });
  }
  if (before.description !== after.description) {
    changes.push({
      code: SagaDiffCode.descriptionChanged,
      severity: "note",
      message: "The saga's description changed.",
      path: ["description"],
    });
  }
  if (!same(before.input, after.input)) {
    const narrowed = inputNarrowings(before.input, after.input, ["input"]);
    for (const narrowing of narrowed) {
      changes.push({
        code: SagaDiffCode.inputNarrowed,
        severity: "error",
        message: `The input schema accepts less than v${before.version}'s: ${narrowing.message}. Clients that start ${after.name} with inputs valid before now get a 400; keep the old shape accepted, or accept the break with --allow ${SagaDiffCode.inputNarrowed}.`,
        path: narrowing.path,
      });
    }
    if (narrowed.length === 0) {
      changes.push({
        code: SagaDiffCode.inputChanged,
        severity: "note",
        message: "The input schema changed (it accepts at least what it accepted before).",
        path: ["input"],
      });
    }
  }
  const topKeys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of topKeys) {
    if (TOP_COVERED.has(key)) continue;
    const was = (before as unknown as Record<string, unknown>)[key];
    const now = (after as unknown as Record<string, unknown>)[key];
    if (same(was, now)) continue;
    changes.push({
      code: SagaDiffCode.definitionChanged,
      severity: "note",
      message: `"${key}" changed (${describeChange(was, now)}).`,
      path: [key],
    });
  }

  if (before.version === after.version && before.hash !== after.hash) {
    const what = changes.length > 0 ? changes.map((c) => c.code).join(", ") : "its compiled form";
    changes.unshift({
      code: SagaDiffCode.versionNotBumped,
      severity: "error",
      message: `${after.name} changed (${what}) but "version" is still ${after.version}: an orchestrator that stored v${after.version} (${before.hash.slice(0, 19)}…) refuses to start with this file. Set "version" to ${after.version + 1}.`,
      path: ["version"],
    });
  }
  return changes;
}

/** Maps a path in the old definition to the same place in the new one (by step name). */
function pathInNew(
  path: JsonPath,
  before: CompiledSaga,
  after: CompiledSaga | undefined,
): JsonPath {
  if (!after) return [];
  if (path[0] !== "steps" || typeof path[1] !== "number") return path;
  const name = before.steps[path[1]]?.name;
  const moved = after.steps.find((step) => step.name === name);
  return moved ? ["steps", moved.index, ...path.slice(2)] : ["steps"];
}

/**
 * Problems the saga version at the base would have with today's contracts: it may still have
 * sagas in flight (they finish on the version they started with), so a command or reply it uses
 * that was removed, or a payload that no longer fits, breaks them. `beforeDefinition` is the
 * parsed definition at the base, `before` its compiled form, `after` the current one (if any).
 */
export function inFlightContractChanges(
  beforeDefinition: unknown,
  before: CompiledSaga,
  after: CompiledSaga | undefined,
  contracts: ContractRegistry,
): SagaChange[] {
  const result = compileSaga(beforeDefinition, { contracts });
  if (result.ok) return [];
  return result.diagnostics.map((diagnostic) => {
    const stepIndex = diagnostic.path[0] === "steps" ? diagnostic.path[1] : undefined;
    const step = typeof stepIndex === "number" ? before.steps[stepIndex]?.name : undefined;
    return {
      code: SagaDiffCode.contractBreaksInFlight,
      severity: "error" as const,
      message: `${before.name} v${before.version} may still have sagas in flight, and today's contracts no longer fit it: ${diagnostic.code} ${diagnostic.message} (at ${diagnostic.pointer} in v${before.version}). Keep the contract compatible until no v${before.version} saga is running, compensating or needing intervention.`,
      path: pathInNew(diagnostic.path, before, after),
      ...(step ? { step } : {}),
    };
  });
}

// Step conditions (`when`): compiled from the authored form once validation passed, evaluated by
// the engine from the saga's state only, and written as text for the diagram and the history.
// Pure: no clock, no I/O.
import {
  COMPARISONS,
  type Comparison,
  type ConditionDefinition,
  type ConditionLiteral,
} from "./definition-schema.ts";
import { type JsonValue, parseMappingString } from "./mapping.ts";

/** A condition as the engine runs it: paths parsed into segments, defaults applied. */
export type CompiledCondition =
  | { all: CompiledCondition[] }
  | { any: CompiledCondition[] }
  | { not: CompiledCondition }
  | { stepRan: string }
  | { path: string; ref: Array<string | number>; exists: boolean }
  | {
      path: string;
      ref: Array<string | number>;
      test: Comparison;
      value: ConditionLiteral | ConditionLiteral[];
      /** The result when the path is absent; false when the author guarded it with `exists`. */
      ifMissing: boolean;
    };

/** The comparison an authored leaf makes, or undefined for `exists` and the combinators. */
export function comparisonOf(
  condition: Record<string, unknown>,
): { test: Comparison; value: unknown } | undefined {
  for (const key of COMPARISONS) {
    if (Object.hasOwn(condition, key)) return { test: key, value: condition[key] };
  }
  return undefined;
}

function segmentsOf(path: string): Array<string | number> {
  const parsed = parseMappingString(path);
  return parsed.kind === "path" ? parsed.segments : [];
}

/** Compiles an authored condition; call it only after validation passed. */
export function compileCondition(condition: ConditionDefinition): CompiledCondition {
  if ("all" in condition) return { all: condition.all.map(compileCondition) };
  if ("any" in condition) return { any: condition.any.map(compileCondition) };
  if ("not" in condition) return { not: compileCondition(condition.not) };
  if ("stepRan" in condition) return { stepRan: condition.stepRan };
  const ref = segmentsOf(condition.path);
  if ("exists" in condition) return { path: condition.path, ref, exists: condition.exists };
  const comparison = comparisonOf(condition) as { test: Comparison; value: ConditionLiteral };
  return {
    path: condition.path,
    ref,
    test: comparison.test,
    value: comparison.value,
    ifMissing: condition.ifMissing ?? false,
  };
}

/** One value a condition read: present with its value, or absent. */
export type ComparedValue = { path: string; value: JsonValue } | { path: string; missing: true };

/** What evaluating a condition found: whether it holds, and every value it read, in order. */
export interface ConditionVerdict {
  holds: boolean;
  compared: ComparedValue[];
}

/**
 * Evaluates a condition against the saga's mapping context (`$.input`, `$.steps.<step>…`).
 * `ran(step)` says whether an earlier step was taken. `all` and `any` stop at the first
 * deciding condition, so an `exists` guard keeps a later comparison from reading an absent value.
 */
export function evaluateCondition(
  condition: CompiledCondition,
  context: unknown,
  ran: (step: string) => boolean,
): ConditionVerdict {
  const compared: ComparedValue[] = [];
  const holds = evaluate(condition, context, ran, compared);
  return { holds, compared };
}

function evaluate(
  condition: CompiledCondition,
  context: unknown,
  ran: (step: string) => boolean,
  compared: ComparedValue[],
): boolean {
  if ("all" in condition) return condition.all.every((c) => evaluate(c, context, ran, compared));
  if ("any" in condition) return condition.any.some((c) => evaluate(c, context, ran, compared));
  if ("not" in condition) return !evaluate(condition.not, context, ran, compared);
  if ("stepRan" in condition) return ran(condition.stepRan);
  const found = read(context, condition.ref);
  compared.push(
    found.present
      ? { path: condition.path, value: found.value }
      : { path: condition.path, missing: true },
  );
  if ("exists" in condition) return found.present === condition.exists;
  if (!found.present) return condition.ifMissing;
  return compare(condition.test, found.value, condition.value);
}

function read(
  context: unknown,
  ref: ReadonlyArray<string | number>,
): { present: true; value: JsonValue } | { present: false } {
  let current: unknown = context;
  for (const segment of ref) {
    if (current === null || typeof current !== "object") return { present: false };
    // Own properties only, as in mappings: "$.input.constructor" reads nothing.
    if (!Object.hasOwn(current, segment)) return { present: false };
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current === undefined
    ? { present: false }
    : { present: true, value: current as JsonValue };
}

function compare(
  test: Comparison,
  actual: JsonValue,
  expected: ConditionLiteral | ConditionLiteral[],
): boolean {
  switch (test) {
    case "equals":
      return actual === expected;
    case "notEquals":
      return actual !== expected;
    case "in":
      return (expected as ConditionLiteral[]).some((candidate) => candidate === actual);
    default: {
      if (typeof actual !== "number" || typeof expected !== "number") return false;
      if (test === "greaterThan") return actual > expected;
      if (test === "greaterThanOrEqual") return actual >= expected;
      if (test === "lessThan") return actual < expected;
      return actual <= expected;
    }
  }
}

const SYMBOLS: Record<Comparison, string> = {
  equals: "=",
  notEquals: "≠",
  greaterThan: ">",
  greaterThanOrEqual: "≥",
  lessThan: "<",
  lessThanOrEqual: "≤",
  in: "in",
};

/** The condition as one line of text: `$.input.totalCents > 100000 and ran verify`. */
export function describeCondition(condition: CompiledCondition): string {
  if ("all" in condition) return condition.all.map(nested).join(" and ");
  if ("any" in condition) return condition.any.map(nested).join(" or ");
  if ("not" in condition) return `not ${nested(condition.not)}`;
  if ("stepRan" in condition) return `${condition.stepRan} ran`;
  if ("exists" in condition) return `${condition.path} ${condition.exists ? "exists" : "absent"}`;
  const value = Array.isArray(condition.value)
    ? `[${condition.value.map((v) => JSON.stringify(v)).join(", ")}]`
    : JSON.stringify(condition.value);
  return `${condition.path} ${SYMBOLS[condition.test]} ${value}`;
}

function nested(condition: CompiledCondition): string {
  const text = describeCondition(condition);
  return "all" in condition || "any" in condition ? `(${text})` : text;
}

/** Values read, as one line for the history: `$.input.totalCents = 500, $.x absent`. */
export function describeCompared(compared: readonly ComparedValue[]): string {
  return compared
    .map((entry) =>
      "missing" in entry
        ? `${entry.path} absent`
        : `${entry.path} = ${JSON.stringify(entry.value)}`,
    )
    .join(", ");
}

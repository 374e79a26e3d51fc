// What `diffSagas` compares on a step, and where each part is written in a definition file. The
// one place that knows the parts of a compiled step: a new step kind or field adds its aspects
// here; a field no aspect names is still compared (as "other"), so nothing changes unseen.
import type { CompiledStep } from "../compiled-saga.ts";
import type { JsonPath } from "../errors.ts";
import type { MappingExpr } from "../mapping.ts";

/** Kinds of change to a step, each with its own finding code. */
export const StepAspectKind = {
  action: "action",
  mapping: "mapping",
  outcomes: "outcomes",
  compensation: "compensation",
  retry: "retry",
  timeout: "timeout",
  description: "description",
  other: "other",
} as const;
export type StepAspectKind = (typeof StepAspectKind)[keyof typeof StepAspectKind];

/** One comparable part of a step: its value, and where it is written (below `steps[i]`). */
export interface StepAspect {
  kind: StepAspectKind;
  /** Short name for messages: "command", "payload", "request.params", "retry"… */
  label: string;
  /** Path below the step in the definition file. */
  path: JsonPath;
  value: unknown;
}

/** Compiled step fields that the aspects below cover (or that derive from other steps). */
const COVERED = new Set([
  "name",
  "index",
  "role",
  "service",
  "action",
  "outcomes",
  "compensation",
  "retry",
  "timeoutMs",
  "description",
]);

/**
 * A compiled mapping written back the way an author writes it (`"$.input.id"` for a path, a
 * literal `$` doubled), so that findings quote the file rather than the compiler's form.
 */
export function authoredMapping(expr: MappingExpr | null): unknown {
  if (expr === null) return null;
  if ("ref" in expr) {
    return `$${expr.ref.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${segment}`)).join("")}`;
  }
  if ("object" in expr) {
    return Object.fromEntries(
      Object.entries(expr.object).map(([key, value]) => [key, authoredMapping(value)]),
    );
  }
  if ("array" in expr) return expr.array.map(authoredMapping);
  return literal(expr.literal);
}

function literal(value: unknown): unknown {
  if (typeof value === "string") return value.startsWith("$") ? `$${value}` : value;
  if (Array.isArray(value)) return value.map(literal);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, literal(item)]));
  }
  return value;
}

/** The comparable parts of a compiled step, by what its action is. */
export function stepAspects(step: CompiledStep): StepAspect[] {
  const aspects: StepAspect[] = [
    { kind: "action", label: "service", path: ["service"], value: step.service },
  ];
  const action = step.action;
  switch (action.kind) {
    case "command":
      aspects.push(
        { kind: "action", label: "command", path: ["command"], value: action.command },
        {
          kind: "mapping",
          label: "payload",
          path: ["payload"],
          value: authoredMapping(action.payload),
        },
      );
      break;
    case "http":
      aspects.push(
        {
          kind: "action",
          label: "request",
          path: ["request"],
          value: `${action.method} ${action.path}`,
        },
        {
          kind: "mapping",
          label: "request.params",
          path: ["request", "params"],
          value: authoredMapping(action.params),
        },
        {
          kind: "mapping",
          label: "request.query",
          path: ["request", "query"],
          value: authoredMapping(action.query),
        },
        {
          kind: "mapping",
          label: "request.body",
          path: ["request", "body"],
          value: authoredMapping(action.body),
        },
      );
      break;
    default: {
      // An action kind this module does not know yet: compared whole.
      const unknown: { kind: string } = action;
      aspects.push({ kind: "action", label: unknown.kind, path: [], value: unknown });
    }
  }
  aspects.push(
    { kind: "outcomes", label: "outcomes", path: ["outcomes"], value: step.outcomes },
    {
      kind: "compensation",
      label: "compensation",
      path: ["compensation"],
      value: step.compensation && {
        ...step.compensation,
        payload: authoredMapping(step.compensation.payload),
      },
    },
    { kind: "retry", label: "retry", path: ["retry"], value: step.retry },
    { kind: "timeout", label: "timeout", path: ["timeout"], value: step.timeoutMs },
    { kind: "description", label: "description", path: ["description"], value: step.description },
  );
  for (const [key, value] of Object.entries(step)) {
    if (!COVERED.has(key)) aspects.push({ kind: "other", label: key, path: [key], value });
  }
  return aspects;
}

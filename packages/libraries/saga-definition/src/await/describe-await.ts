// How the diagram and the messages name an `await` step: what it waits for, on which key, until
// when, and what the deadline does.
import type { CompiledStep } from "../compiled-saga.ts";
import { formatDuration } from "../duration.ts";
import type { MappingExpr } from "../mapping.ts";

/** The correlation path as written (`$.input.paymentId`), from its compiled form. */
export function correlationText(expr: MappingExpr): string {
  if (!("ref" in expr)) return "(literal)";
  return `$${expr.ref.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${segment}`)).join("")}`;
}

/** The node text of an await step: events, key and deadline. */
export function describeAwait(step: CompiledStep): string | undefined {
  if (step.action.kind !== "await") return undefined;
  const events = [...step.outcomes.success, ...step.outcomes.businessFailure].join(" | ");
  return `${step.service} → ${events}<br/>waits on key ${correlationText(step.action.correlation)}<br/>deadline ${formatDuration(step.timeoutMs)}`;
}

/** The label of an await step's deadline edge. */
export function deadlineEdgeText(step: CompiledStep): string {
  return `deadline ${formatDuration(step.timeoutMs)} passed, no event`;
}

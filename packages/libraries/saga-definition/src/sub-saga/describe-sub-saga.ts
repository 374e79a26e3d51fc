// How the diagram names a sub-saga step and its compensation: the child it starts, the deadline,
// and whether undoing it asks the child or runs a command once the child has ended.
import type { CompiledStep } from "../compiled-saga.ts";
import { formatDuration } from "../duration.ts";

/** The node text of a sub-saga step: the child and the deadline. */
export function describeSubSaga(step: CompiledStep): string | undefined {
  if (step.action.kind !== "saga") return undefined;
  const { name, version } = step.action.saga;
  return `starts saga ${name} v${version}<br/>deadline ${formatDuration(step.timeoutMs)}`;
}

/** The node text of a sub-saga step's compensation. */
export function describeSubSagaCompensation(step: CompiledStep): string | undefined {
  if (step.action.kind !== "saga" || !step.compensation) return undefined;
  const child = `ask ${step.action.saga.name} to compensate`;
  if (step.compensation.kind === "child") return child;
  return `${child},<br/>past its pivot: ${step.compensation.service} ← ${step.compensation.command}`;
}

/** The label of a sub-saga step's deadline edge. */
export function subSagaDeadlineText(step: CompiledStep): string {
  return `deadline ${formatDuration(step.timeoutMs)} passed, child still running`;
}

import { AwsLimits } from "@sagaworks/messaging";
import type { CompiledSaga, JsonValue, MappingExpr } from "@sagaworks/saga-definition";

/**
 * Bytes kept for what a command carries besides the mapped input: the envelope's fields, trace
 * context, routing attributes and values mapped from other steps' replies.
 */
export const ENVELOPE_RESERVE_BYTES = 16_384;

/** A message of the definition that cannot carry the input it would be given. */
export interface CapacityProblem {
  step: string;
  command: string;
  /** Bytes of input the command's payload maps. */
  inputBytes: number;
  limitBytes: number;
}

/**
 * Checks that every command of `saga` can carry the parts of `input` its payload maps from
 * `$.input`, within SQS's message limit less {@link ENVELOPE_RESERVE_BYTES}. Refusing at the start
 * beats a saga whose command can never be sent. HTTP steps have no such limit. Pure.
 */
export function inputCapacityProblems(saga: CompiledSaga, input: JsonValue): CapacityProblem[] {
  const limitBytes = AwsLimits.sqsMaxMessageBytes - ENVELOPE_RESERVE_BYTES;
  const problems: CapacityProblem[] = [];
  const check = (step: string, command: string, payload: MappingExpr) => {
    const inputBytes = mappedInputBytes(payload, input);
    if (inputBytes > limitBytes) problems.push({ step, command, inputBytes, limitBytes });
  };
  for (const step of saga.steps) {
    if (step.action.kind === "command") check(step.name, step.action.command, step.action.payload);
    if (step.compensation) {
      check(step.name, step.compensation.command, step.compensation.payload);
    }
  }
  return problems;
}

/** Bytes (as JSON) of the input values a mapping refers to. */
function mappedInputBytes(expr: MappingExpr, input: JsonValue): number {
  if ("ref" in expr) {
    const [root, ...path] = expr.ref;
    if (root !== "input") return 0;
    const value = valueAt(input, path);
    return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), "utf8");
  }
  if ("object" in expr) {
    return Object.values(expr.object).reduce((sum, item) => sum + mappedInputBytes(item, input), 0);
  }
  if ("array" in expr) {
    return expr.array.reduce((sum, item) => sum + mappedInputBytes(item, input), 0);
  }
  return 0;
}

function valueAt(value: JsonValue, path: readonly (string | number)[]): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = Array.isArray(current)
      ? current[Number(segment)]
      : (current as Record<string, JsonValue>)[String(segment)];
  }
  return current;
}

// Checks of sub-saga steps (`kind: "saga"`) and of a saga's declared `output`: the child exists
// at that version, is not on a cycle and not nested too deep, its input is mapped against its
// input schema, `compensation: "child"` is refused when the child has a pivot, an explicit
// compensation fits its service's contract, and later steps read only what the child declares.
import type { CompiledSaga } from "../compiled-saga.ts";
import type { JsonSchema } from "../contract-registry.ts";
import type { SagaStepDefinition } from "../definition-schema.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import { literalType, schemaTypes } from "../json-schema-walk.ts";
import { parseMappingString } from "../mapping.ts";
import { MAX_SUB_SAGA_NESTING, nestingBelow } from "../sub-saga/saga-catalog.ts";
import { type AnalysisContext, isRecord, knownService, type Source, stepPath } from "./context.ts";
import { checkCompensationCommand } from "./contracts.ts";
import { checkRetry, checkStepTimeout } from "./limits.ts";
import { checkPathsIn, checkValue, resolveContextPath } from "./paths.ts";
import { childOf } from "./sub-saga-paths.ts";

/** Every check of one sub-saga step. */
export function checkSubSagaStep(ctx: AnalysisContext, step: SagaStepDefinition, index: number) {
  const path = stepPath(ctx, index);
  const deadlineMs = parseDuration(step.deadline);
  if (
    deadlineMs !== undefined &&
    ctx.sagaTimeoutMs !== undefined &&
    deadlineMs > ctx.sagaTimeoutMs
  ) {
    ctx.out.add(
      DiagnosticCode.subSagaDeadlineExceedsSagaTimeout,
      [...path, "deadline"],
      `Shorten the deadline to at most the saga timeout (${formatDuration(ctx.sagaTimeoutMs)}) or raise the saga timeout: the saga would time out while still waiting for its child.`,
      { deadlineMs, sagaTimeoutMs: ctx.sagaTimeoutMs },
    );
  }
  const child = childOf(ctx, step, index, true);
  if (child) {
    const depth = 1 + nestingBelow(child, (name) => ctx.sagas?.(name));
    // This saga sits one level above its child's subtree.
    if (depth + 1 > MAX_SUB_SAGA_NESTING) {
      ctx.out.add(
        DiagnosticCode.subSagaNestingTooDeep,
        [...path, "saga", "name"],
        `Starting "${child.name}" here nests sagas ${depth + 1} levels deep; at most ${MAX_SUB_SAGA_NESTING} are allowed (a saga, its children and theirs). Flatten the deepest sagas into their parents.`,
        { depth: depth + 1, max: MAX_SUB_SAGA_NESTING },
      );
    }
    const schema = child.input as JsonSchema;
    checkValue(ctx, step.input, schema, schema, [...path, "input"], {
      stepIndex: index,
      inCompensation: false,
      target: `the input of saga "${child.name}" v${child.version}`,
    });
  } else {
    checkPathsIn(ctx, step.input, [...path, "input"], index, false);
  }
  checkSubSagaCompensation(ctx, step, index, child);
}

function checkSubSagaCompensation(
  ctx: AnalysisContext,
  step: SagaStepDefinition,
  index: number,
  child: CompiledSaga | undefined,
) {
  const compensation = step.compensation;
  if (compensation === undefined) return;
  const path: JsonPath = [...stepPath(ctx, index), "compensation"];
  if (compensation === "child") {
    if (child?.pivot) {
      ctx.out.add(
        DiagnosticCode.subSagaCompensateByChildWithPivot,
        path,
        `Write an explicit compensation ({ "service", "command", "payload" }) for step "${step.name}": saga "${child.name}" has a pivot ("${child.pivot}"), and once past it the child cannot undo itself, so "child" alone could leave its effect in place.`,
        { saga: child.name, pivot: child.pivot },
      );
    }
    return;
  }
  checkRetry(ctx, compensation.retry, [...path, "retry"]);
  const timeoutMs = compensation.timeout ? parseDuration(compensation.timeout) : 30_000;
  checkStepTimeout(
    ctx,
    "command",
    timeoutMs,
    [...path, "timeout"],
    compensation.timeout !== undefined,
  );
  const service = knownService(ctx, compensation.service, [...path, "service"]);
  if (!service) {
    checkPathsIn(ctx, compensation.payload, [...path, "payload"], index, true);
    return;
  }
  checkCompensationCommand(ctx, compensation.service, compensation, index, service);
}

/**
 * Checks a saga's `output` mapping as if read after its last step, and returns the JSON Schema
 * of what it hands over: each field typed by what its path reads (the schema itself when it is
 * self-contained, its JSON types otherwise), literals by their type, nested objects field by field.
 */
export function checkOutput(ctx: AnalysisContext, output: unknown): JsonSchema | undefined {
  if (!isRecord(output)) return undefined;
  return outputSchemaOf(ctx, output, ["output"]);
}

function outputSchemaOf(ctx: AnalysisContext, value: unknown, path: JsonPath): JsonSchema {
  const scope = {
    stepIndex: ctx.steps.length,
    inCompensation: false,
    target: "the saga's output",
  };
  if (typeof value === "string") {
    const parsed = parseMappingString(value);
    if (parsed.kind === "literal") return { type: literalType(parsed.value) };
    if (parsed.kind !== "path") {
      checkValue(ctx, value, true, undefined, path, scope);
      return true;
    }
    const sources = resolveContextPath(ctx, parsed.segments, value, path, scope);
    if (!sources || sources.length === 0) return true;
    return sourceSchema(sources);
  }
  if (Array.isArray(value)) {
    for (const [position, item] of value.entries()) {
      outputSchemaOf(ctx, item, [...path, position]);
    }
    return { type: "array" };
  }
  if (isRecord(value)) {
    const properties: Record<string, JsonSchema> = {};
    for (const [key, inner] of Object.entries(value)) {
      properties[key] = outputSchemaOf(ctx, inner, [...path, key]);
    }
    return {
      type: "object",
      properties,
      required: Object.keys(value),
      additionalProperties: false,
    };
  }
  return { type: literalType(value as null | boolean | number) };
}

function sourceSchema(sources: readonly Source[]): JsonSchema {
  const [only] = sources;
  if (sources.length === 1 && only && isSelfContained(only.schema))
    return only.schema as JsonSchema;
  const types = new Set<string>();
  for (const source of sources) {
    const found = schemaTypes(source.root, source.schema);
    if (!found) return true;
    for (const type of found) types.add(type);
  }
  return { type: [...types].sort() };
}

/** A schema with no `$ref` can be copied out of its document and still mean the same. */
function isSelfContained(schema: unknown): boolean {
  return (
    typeof schema === "boolean" || (isRecord(schema) && !JSON.stringify(schema).includes('"$ref"'))
  );
}

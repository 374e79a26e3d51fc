// Checks of the data flow: every mapping path ($.input…, $.steps…, $.sagaId, $.failure…) must
// exist in what it reads, be readable where it is used, and fit the schema that receives it.
import { contractJsonSchema, type JsonSchema } from "../contract-registry.ts";
import type { StepDefinition } from "../definition-schema.ts";
import { DiagnosticCode, formatJsonPath, type JsonPath } from "../errors.ts";
import {
  allowedValues,
  arrayItems,
  type JsonType,
  literalType,
  lookupPath,
  objectShape,
  schemaTypes,
  typesCompatible,
} from "../json-schema-walk.ts";
import { parseMappingString } from "../mapping.ts";
import {
  FAILURE_SCHEMA,
  HTTP_STATUS_SCHEMA,
  MAPPING_CONTEXT_ROOTS,
  SAGA_ID_SCHEMA,
} from "../mapping-context.ts";
import { eventSources } from "./await-paths.ts";
import { mayNotHaveRun } from "./condition-facts.ts";
import {
  type AnalysisContext,
  describeTypes,
  isRecord,
  list,
  type MappingScope,
  type Source,
  stepPath,
} from "./context.ts";
import { siblingBranchReason } from "./parallel.ts";
import { subSagaOutputSources } from "./sub-saga-paths.ts";

/** A step that failed the structure check: still check the paths of its mappings. */
export function checkBrokenStepPaths(ctx: AnalysisContext, raw: unknown, index: number) {
  if (!isRecord(raw)) return;
  const base: JsonPath = stepPath(ctx, index);
  if (isRecord(raw.payload)) checkPathsIn(ctx, raw.payload, [...base, "payload"], index, false);
  if (raw.kind === "saga" && isRecord(raw.input)) {
    checkPathsIn(ctx, raw.input, [...base, "input"], index, false);
  }
  if (isRecord(raw.request)) {
    for (const part of ["params", "query", "body"] as const) {
      const value = raw.request[part];
      if (isRecord(value)) checkPathsIn(ctx, value, [...base, "request", part], index, false);
    }
  }
  if (isRecord(raw.compensation) && isRecord(raw.compensation.payload)) {
    checkPathsIn(ctx, raw.compensation.payload, [...base, "compensation", "payload"], index, true);
  }
}

/** When the target schema is unknown (unknown service or command), still check the paths. */
export function checkMappingPathsOnly(ctx: AnalysisContext, step: StepDefinition, index: number) {
  if (step.kind === "await" || step.kind === "saga") return;
  const base: JsonPath = stepPath(ctx, index);
  if (step.kind === "command") checkPathsIn(ctx, step.payload, [...base, "payload"], index, false);
  else {
    for (const part of ["params", "query", "body"] as const) {
      const value = step.request[part];
      if (value !== undefined) checkPathsIn(ctx, value, [...base, "request", part], index, false);
    }
  }
}

export function checkPathsIn(
  ctx: AnalysisContext,
  value: unknown,
  path: JsonPath,
  stepIndex: number,
  inCompensation: boolean,
) {
  checkValue(ctx, value, true, undefined, path, { stepIndex, inCompensation, target: "" });
}

/** Checks one mapping value against the schema that receives it (`target`, in `root`). */
export function checkValue(
  ctx: AnalysisContext,
  value: unknown,
  root: JsonSchema,
  target: unknown,
  path: JsonPath,
  scope: MappingScope,
) {
  const targetTypes = target === undefined ? undefined : schemaTypes(root, target);
  if (typeof value === "string") {
    const parsed = parseMappingString(value);
    if (parsed.kind === "unescaped") {
      ctx.out.add(
        DiagnosticCode.literalEscape,
        path,
        `"${value}" starts with "$" but is not a path: write "$.…" for a path (e.g. "$.input.id"), or "$${value}" for the literal text.`,
      );
      return;
    }
    if (parsed.kind === "invalid-path") {
      ctx.out.add(
        DiagnosticCode.pathSyntax,
        path,
        `Fix the path "${value}": ${parsed.reason}. Segments are ".name" or "[index]", e.g. "$.input.items[0].sku".`,
      );
      return;
    }
    if (parsed.kind === "path") {
      const sources = resolveContextPath(ctx, parsed.segments, value, path, scope);
      if (!sources || !targetTypes) return;
      const sourceTypes = new Set<JsonType>();
      for (const source of sources) {
        const types = schemaTypes(source.root, source.schema);
        if (!types) return;
        for (const type of types) sourceTypes.add(type);
      }
      if (!typesCompatible(sourceTypes, targetTypes)) {
        ctx.out.add(
          DiagnosticCode.payloadTypeMismatch,
          path,
          `"${value}" is ${describeTypes(sourceTypes)} but ${scope.target} expects ${describeTypes(targetTypes)} at ${formatJsonPath(path)}: map a value of the right type.`,
          { sourceTypes: [...sourceTypes], targetTypes: [...targetTypes] },
        );
      }
      return;
    }
    checkLiteral(ctx, parsed.value, root, target, targetTypes, path, scope);
    return;
  }
  if (Array.isArray(value)) {
    if (targetTypes && !targetTypes.has("array")) {
      mismatch(ctx, "an array", targetTypes, path, scope);
      return;
    }
    const items = target === undefined ? undefined : arrayItems(root, target);
    value.forEach((item, position) => {
      checkValue(ctx, item, root, items, [...path, position], scope);
    });
    return;
  }
  if (isRecord(value)) {
    if (targetTypes && !targetTypes.has("object")) {
      mismatch(ctx, "an object", targetTypes, path, scope);
      return;
    }
    const shape = target === undefined ? undefined : objectShape(root, target);
    if (shape) {
      for (const field of shape.required) {
        if (!Object.hasOwn(value, field)) {
          ctx.out.add(
            DiagnosticCode.payloadFieldMissing,
            path,
            `Add "${field}" to ${formatJsonPath(path)}: ${scope.target} requires it.`,
            { field },
          );
        }
      }
    }
    for (const [key, field] of Object.entries(value)) {
      const declared = shape && Object.hasOwn(shape.properties, key);
      if (shape && !declared && !shape.open) {
        ctx.out.add(
          DiagnosticCode.payloadFieldUnknown,
          [...path, key],
          `Remove "${key}": ${scope.target} has no such field (it declares ${list(Object.keys(shape.properties))}).`,
        );
        checkValue(ctx, field, root, undefined, [...path, key], scope);
        continue;
      }
      const fieldTarget = shape
        ? declared
          ? shape.properties[key]
          : undefined
        : target === undefined
          ? undefined
          : lookupSingle(root, target, key);
      checkValue(ctx, field, root, fieldTarget, [...path, key], scope);
    }
    return;
  }
  checkLiteral(ctx, value, root, target, targetTypes, path, scope);
}

export function mismatch(
  ctx: AnalysisContext,
  what: string,
  targetTypes: Set<JsonType>,
  path: JsonPath,
  scope: MappingScope,
) {
  ctx.out.add(
    DiagnosticCode.payloadTypeMismatch,
    path,
    `This is ${what} but ${scope.target} expects ${describeTypes(targetTypes)} at ${formatJsonPath(path)}.`,
    { targetTypes: [...targetTypes] },
  );
}

export function checkLiteral(
  ctx: AnalysisContext,
  value: unknown,
  root: JsonSchema,
  target: unknown,
  targetTypes: Set<JsonType> | undefined,
  path: JsonPath,
  scope: MappingScope,
) {
  if (!targetTypes || target === undefined) return;
  const type = literalType(value);
  if (!typesCompatible(new Set([type]), targetTypes)) {
    ctx.out.add(
      DiagnosticCode.payloadTypeMismatch,
      path,
      `The literal ${JSON.stringify(value)} is ${type} but ${scope.target} expects ${describeTypes(targetTypes)} at ${formatJsonPath(path)}.`,
      { sourceTypes: [type], targetTypes: [...targetTypes] },
    );
    return;
  }
  const allowed = allowedValues(root, target);
  if (allowed && !allowed.some((candidate) => candidate === value)) {
    ctx.out.add(
      DiagnosticCode.payloadTypeMismatch,
      path,
      `Use one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}: ${scope.target} does not accept ${JSON.stringify(value)} at ${formatJsonPath(path)}.`,
      { allowed },
    );
  }
}

/** Resolves a context path to the schemas it may read; reports and returns undefined if wrong. */
export function resolveContextPath(
  ctx: AnalysisContext,
  segments: ReadonlyArray<string | number>,
  text: string,
  path: JsonPath,
  scope: MappingScope,
): Source[] | undefined {
  const [root, ...rest] = segments;
  switch (root) {
    case "input": {
      if (!ctx.inputSchema) return undefined;
      return lookupIn(
        ctx,
        [{ root: ctx.inputSchema, schema: ctx.inputSchema }],
        rest,
        text,
        path,
        "$.input",
        "the saga's input schema",
      );
    }
    case "sagaId":
      return lookupIn(
        ctx,
        [{ root: true, schema: SAGA_ID_SCHEMA }],
        rest,
        text,
        path,
        "$.sagaId",
        "the saga id (a string)",
      );
    case "failure":
      if (!scope.inCompensation) {
        ctx.out.add(
          DiagnosticCode.pathFailureOutsideCompensation,
          path,
          `Use "${text}" only in a compensation payload: failure information exists only once compensation has started.`,
        );
        return undefined;
      }
      return lookupIn(
        ctx,
        [{ root: FAILURE_SCHEMA, schema: FAILURE_SCHEMA }],
        rest,
        text,
        path,
        "$.failure",
        "the failure information (step, kind, code, message)",
      );
    case "steps":
      return resolveStepPath(ctx, rest, text, path, scope);
    default:
      ctx.out.add(
        DiagnosticCode.pathRootUnknown,
        path,
        `Start the path "${text}" with ${MAPPING_CONTEXT_ROOTS.map((root) => (root === "steps" ? "$.steps.<step>" : `$.${root}`)).join(", ")}.`,
      );
      return undefined;
  }
}

export function resolveStepPath(
  ctx: AnalysisContext,
  segments: ReadonlyArray<string | number>,
  text: string,
  path: JsonPath,
  scope: MappingScope,
): Source[] | undefined {
  const [stepName, accessor, ...rest] = segments;
  if (typeof stepName !== "string") {
    ctx.out.add(
      DiagnosticCode.pathSyntax,
      path,
      `Name a step in "${text}", e.g. "$.steps.create-order.reply.orderId".`,
    );
    return undefined;
  }
  const referenced = ctx.stepIndexByName.get(stepName);
  const here = ctx.steps[scope.stepIndex]?.name;
  if (referenced === undefined) {
    ctx.out.add(
      DiagnosticCode.pathStepUnknown,
      path,
      `There is no step "${stepName}" (steps: ${list(ctx.stepIndexByName.keys())}); fix the step name in "${text}".`,
    );
    return undefined;
  }
  const allowed = scope.inCompensation
    ? referenced <= scope.stepIndex
    : referenced < scope.stepIndex;
  if (!allowed) {
    ctx.out.add(
      DiagnosticCode.pathStepNotEarlier,
      path,
      `Step "${stepName}" runs ${referenced === scope.stepIndex ? "as" : "after"} step "${here}", so its result does not exist yet: reference only steps that run earlier.`,
      { referencedIndex: referenced, stepIndex: scope.stepIndex },
    );
    return undefined;
  }
  const sibling = siblingBranchReason(ctx, scope.stepIndex, referenced);
  if (sibling) {
    ctx.out.add(DiagnosticCode.pathSiblingBranch, path, `Do not read "${text}" here: ${sibling}.`, {
      step: stepName,
    });
    return undefined;
  }
  if (!scope.inCondition && mayNotHaveRun(ctx, stepName, scope.stepIndex)) {
    ctx.out.add(
      DiagnosticCode.pathStepMayNotRun,
      path,
      `Step "${stepName}" has a condition, so it may not have run when step "${here}" reads "${text}": add { "stepRan": "${stepName}" } to the "when" of "${here}" (alone or in an "all"), or read something that always exists.`,
      { step: stepName },
    );
    return undefined;
  }
  const step = ctx.steps[referenced];
  if (!step) return undefined;
  if (step.kind === "saga") {
    const sources = subSagaOutputSources(ctx, step, accessor, text, path);
    if (!sources) return undefined;
    const base = `$.steps.${stepName}.output`;
    return lookupIn(ctx, sources, rest, text, path, base, `the declared output of "${stepName}"`);
  }
  if (step.kind === "await") {
    const sources = eventSources(ctx, step, accessor, path);
    if (!sources) return undefined;
    const base = `$.steps.${stepName}.event`;
    return lookupIn(ctx, sources, rest, text, path, base, `the success events of "${stepName}"`);
  }
  const expected = step.kind === "command" ? "reply" : "response";
  if (accessor !== expected) {
    const example =
      step.kind === "command"
        ? `$.steps.${stepName}.reply.<field>`
        : `$.steps.${stepName}.response.body.<field> or $.steps.${stepName}.response.status`;
    ctx.out.add(
      DiagnosticCode.pathStepAccessor,
      path,
      `Step "${stepName}" is a ${step.kind} step: read it as ${example}.`,
    );
    return undefined;
  }
  const service = Object.hasOwn(ctx.contracts, step.service)
    ? ctx.contracts[step.service]
    : undefined;
  if (step.kind === "command") {
    const command = service?.commands?.[step.command];
    if (!command) return undefined;
    const sources: Array<Source & { name: string }> = [];
    for (const reply of step.outcomes.success) {
      const schema = command.replies[reply];
      if (!schema) return undefined;
      const json = contractJsonSchema(schema, "output");
      sources.push({ name: reply, root: json, schema: json });
    }
    return lookupIn(
      ctx,
      sources,
      rest,
      text,
      path,
      `$.steps.${stepName}.reply`,
      `the success replies of "${stepName}"`,
    );
  }
  const endpoint = service?.endpoints?.find(
    (candidate) => candidate.method === step.request.method && candidate.path === step.request.path,
  );
  if (!endpoint) return undefined;
  const [part, ...bodyPath] = rest;
  if (part === "status") {
    return lookupIn(
      ctx,
      [{ root: true, schema: HTTP_STATUS_SCHEMA }],
      bodyPath,
      text,
      path,
      `$.steps.${stepName}.response.status`,
      "the HTTP status (an integer)",
    );
  }
  if (part !== "body") {
    ctx.out.add(
      DiagnosticCode.pathStepAccessor,
      path,
      `Read the response of "${stepName}" as $.steps.${stepName}.response.body.<field> or $.steps.${stepName}.response.status.`,
    );
    return undefined;
  }
  const sources: Array<Source & { name: string }> = [];
  for (const status of step.outcomes.success) {
    const response = endpoint.responses[status];
    if (!response) return undefined;
    const json = contractJsonSchema(response.body, "output");
    sources.push({ name: String(status), root: json, schema: json });
  }
  return lookupIn(
    ctx,
    sources,
    bodyPath,
    text,
    path,
    `$.steps.${stepName}.response.body`,
    `the success responses of "${stepName}"`,
  );
}

/** Follows `segments` in every source; the path must exist in all of them. */
export function lookupIn(
  ctx: AnalysisContext,
  sources: ReadonlyArray<Source & { name?: string }>,
  segments: ReadonlyArray<string | number>,
  text: string,
  path: JsonPath,
  base: string,
  what: string,
): Source[] | undefined {
  const found: Source[] = [];
  for (const source of sources) {
    const result = lookupPath(source.root, source.schema, segments);
    if (!result.found) {
      const missing = segments[result.missingAt];
      const parent = `${base}${formatJsonPath(segments.slice(0, result.missingAt)).slice(1)}`;
      const inReply = source.name ? ` (reply "${source.name}")` : "";
      ctx.out.add(
        DiagnosticCode.pathNotInSchema,
        path,
        `"${text}" does not exist in ${what}${inReply}: ${parent} has no ${typeof missing === "number" ? `item [${missing}]` : `field "${missing}"`}. Fix the path or add the field to the schema.`,
        { missing, at: parent },
      );
      return undefined;
    }
    found.push({ root: source.root, schema: result.schema });
  }
  return found;
}

function lookupSingle(root: JsonSchema, schema: unknown, key: string): unknown {
  const result = lookupPath(root, schema, [key]);
  return result.found ? result.schema : undefined;
}

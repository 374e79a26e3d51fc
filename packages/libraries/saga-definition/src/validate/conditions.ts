// Checks of step conditions (`when`): their shape (with messages that say how to fix them), every
// path against the input schema and the contracts, each comparison against the field's type and
// allowed values, guards for what may be absent, and that the pivot is unconditional.
import { comparisonOf } from "../condition.ts";
import { contractJsonSchema, type JsonSchema } from "../contract-registry.ts";
import {
  COMPARISONS,
  type ConditionDefinition,
  NAME_PATTERN,
  type StepDefinition,
} from "../definition-schema.ts";
import { DiagnosticCode, formatJsonPath, type JsonPath } from "../errors.ts";
import {
  allowedValues,
  type JsonType,
  literalType,
  lookupPath,
  objectShape,
  schemaTypes,
  typesCompatible,
} from "../json-schema-walk.ts";
import { parseMappingString } from "../mapping.ts";
import { type ConditionFact, factsOf, guards, stepFacts } from "./condition-facts.ts";
import {
  type AnalysisContext,
  describeTypes,
  isRecord,
  type MappingScope,
  stepPath,
} from "./context.ts";
import type { Collector } from "./diagnostics.ts";
import { siblingBranchReason } from "./parallel.ts";
import { resolveContextPath } from "./paths.ts";
import { childOf } from "./sub-saga-paths.ts";

const NUMERIC = new Set(["greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"]);
const FORMS =
  'Write a condition as { "path": "$.input.x", "equals": … } (or "notEquals", "greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual", "in": […]), { "path": …, "exists": true }, { "stepRan": "<step>" }, or { "all": […] } / { "any": […] } / { "not": … }.';

const isScalar = (value: unknown) =>
  value === null || ["string", "number", "boolean"].includes(typeof value);

/**
 * Checks the shape of an authored condition and reports each problem at its place; true when it
 * is well formed (then it also parses with `conditionSchema`).
 */
export function checkConditionShape(raw: unknown, path: JsonPath, out: Collector): boolean {
  const invalid = (at: JsonPath, message: string) => {
    out.add(DiagnosticCode.conditionInvalid, at, message);
    return false;
  };
  if (!isRecord(raw)) return invalid(path, `${formatJsonPath(path)} is not an object. ${FORMS}`);
  const keys = Object.keys(raw);
  for (const combinator of ["all", "any"] as const) {
    if (!Object.hasOwn(raw, combinator)) continue;
    if (keys.length !== 1) {
      return invalid(
        path,
        `Put "${combinator}" alone in its object; move ${list(keys, combinator)} into its list.`,
      );
    }
    const items = raw[combinator];
    if (!Array.isArray(items) || items.length === 0) {
      return invalid(
        [...path, combinator],
        `"${combinator}" takes a non-empty list of conditions.`,
      );
    }
    return items
      .map((item, index) => checkConditionShape(item, [...path, combinator, index], out))
      .every(Boolean);
  }
  if (Object.hasOwn(raw, "not")) {
    if (keys.length !== 1)
      return invalid(path, `Put "not" alone in its object; move ${list(keys, "not")} inside it.`);
    return checkConditionShape(raw.not, [...path, "not"], out);
  }
  if (Object.hasOwn(raw, "stepRan")) {
    if (keys.length !== 1)
      return invalid(path, `Put "stepRan" alone in its object; remove ${list(keys, "stepRan")}.`);
    if (typeof raw.stepRan !== "string" || !NAME_PATTERN.test(raw.stepRan)) {
      return invalid(
        [...path, "stepRan"],
        '"stepRan" takes the name of an earlier step, e.g. "verify-customer".',
      );
    }
    return true;
  }
  if (!Object.hasOwn(raw, "path")) return invalid(path, FORMS);
  if (typeof raw.path !== "string" || !raw.path.startsWith("$.")) {
    return invalid([...path, "path"], '"path" takes a path such as "$.input.totalCents".');
  }
  const tests = keys.filter(
    (key) => key === "exists" || (COMPARISONS as readonly string[]).includes(key),
  );
  if (tests.length !== 1) {
    return invalid(
      path,
      tests.length === 0
        ? `Say what to test of "${raw.path}": "equals", "notEquals", "greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual", "in" or "exists".`
        : `Test one thing per condition (found ${list(tests)}); combine several with "all" or "any".`,
    );
  }
  const test = tests[0] as string;
  const allowed = new Set(["path", test, ...(test === "exists" ? [] : ["ifMissing"])]);
  const extra = keys.filter((key) => !allowed.has(key));
  if (extra.length > 0) {
    return invalid(
      [...path, extra[0] as string],
      `Remove ${list(extra)}: a condition on a path has "path", one test${test === "exists" ? "" : ' and an optional "ifMissing"'}.`,
    );
  }
  const value = raw[test];
  if (test === "exists" && typeof value !== "boolean")
    return invalid([...path, test], '"exists" takes true or false.');
  if (NUMERIC.has(test) && typeof value !== "number")
    return invalid([...path, test], `"${test}" takes a number.`);
  if ((test === "equals" || test === "notEquals") && !isScalar(value)) {
    return invalid([...path, test], `"${test}" takes a string, number, boolean or null.`);
  }
  if (test === "in" && (!Array.isArray(value) || value.length === 0 || !value.every(isScalar))) {
    return invalid(
      [...path, test],
      '"in" takes a non-empty list of strings, numbers, booleans or nulls.',
    );
  }
  if (Object.hasOwn(raw, "ifMissing") && typeof raw.ifMissing !== "boolean") {
    return invalid(
      [...path, "ifMissing"],
      '"ifMissing" takes true or false: the result when the path is absent.',
    );
  }
  return true;
}

function list(keys: readonly string[], except?: string): string {
  return keys
    .filter((key) => key !== except)
    .map((key) => `"${key}"`)
    .join(", ");
}

/** The pivot (explicit, or the last step when it is implicit) cannot be conditional. */
export function checkPivotUnconditional(ctx: AnalysisContext) {
  const explicit = ctx.skeletons.findIndex((step) => step?.pivot === true);
  const last = ctx.skeletons.length - 1;
  const lastStep = ctx.skeletons[last];
  const pivot =
    explicit >= 0
      ? explicit
      : lastStep && !ctx.places[last] && !lastStep.compensation && !lastStep.readOnly
        ? last
        : -1;
  const step = pivot >= 0 ? ctx.skeletons[pivot] : undefined;
  if (!step?.conditional) return;
  ctx.out.add(
    DiagnosticCode.pivotConditional,
    [...stepPath(ctx, pivot), "when"],
    `Remove the "when" of the pivot "${step.name}": the go/no-go step must always run, or the saga could pass the point of no return without it. Put the condition on a step before or after it${explicit < 0 ? ', or mark another step "pivot": true' : ""}.`,
  );
}

/** Checks the meaning of a step's condition (its shape is already known to be sound). */
export function checkCondition(ctx: AnalysisContext, step: StepDefinition, index: number) {
  if (!step.when) return;
  // Only guards inside the condition count, each for what comes after it in its `all` (and the
  // facts of the earlier steps it says ran).
  walk(ctx, step.when, [...stepPath(ctx, index), "when"], index, new Set());
}

function walk(
  ctx: AnalysisContext,
  condition: ConditionDefinition,
  path: JsonPath,
  index: number,
  known: ReadonlySet<ConditionFact>,
) {
  if ("all" in condition) {
    const local = new Set(known);
    condition.all.forEach((item, position) => {
      walk(ctx, item, [...path, "all", position], index, local);
      for (const fact of factsOf(item)) local.add(fact);
    });
    return;
  }
  if ("any" in condition) {
    condition.any.forEach((item, position) => {
      walk(ctx, item, [...path, "any", position], index, known);
    });
    return;
  }
  if ("not" in condition) {
    walk(ctx, condition.not, [...path, "not"], index, known);
    return;
  }
  if ("stepRan" in condition) {
    const referenced = ctx.stepIndexByName.get(condition.stepRan);
    const sibling =
      referenced === undefined ? undefined : siblingBranchReason(ctx, index, referenced);
    if (sibling) {
      ctx.out.add(
        DiagnosticCode.pathSiblingBranch,
        [...path, "stepRan"],
        `Do not test "stepRan" of "${condition.stepRan}" here: ${sibling}.`,
      );
      return;
    }
    if (referenced === undefined || referenced >= index) {
      ctx.out.add(
        DiagnosticCode.conditionStepNotEarlier,
        [...path, "stepRan"],
        referenced === undefined
          ? `There is no step "${condition.stepRan}": "stepRan" names an earlier step.`
          : `Step "${condition.stepRan}" does not run before this step: "stepRan" names an earlier step.`,
      );
    }
    return;
  }
  checkLeaf(ctx, condition, path, index, known);
}

function checkLeaf(
  ctx: AnalysisContext,
  condition: Extract<ConditionDefinition, { path: string }>,
  path: JsonPath,
  index: number,
  known: ReadonlySet<ConditionFact>,
) {
  const text = condition.path;
  const parsed = parseMappingString(text);
  if (parsed.kind !== "path") {
    ctx.out.add(
      DiagnosticCode.pathSyntax,
      [...path, "path"],
      `Fix the path "${text}": segments are ".name" or "[index]", e.g. "$.input.items[0].sku".`,
    );
    return;
  }
  const scope: MappingScope = {
    stepIndex: index,
    inCompensation: false,
    target: "the condition",
    inCondition: true,
  };
  const sources = resolveContextPath(ctx, parsed.segments, text, [...path, "path"], scope);
  if (!sources) return;
  if ("exists" in condition) return;
  const comparison = comparisonOf(condition) as { test: string; value: unknown };
  const testPath = [...path, comparison.test];
  const types = new Set<JsonType>();
  let typesKnown = true;
  for (const source of sources) {
    const found = schemaTypes(source.root, source.schema);
    if (!found) typesKnown = false;
    else for (const type of found) types.add(type);
  }
  if (typesKnown) {
    if (NUMERIC.has(comparison.test)) {
      const numeric = [...types].every((t) => t === "number" || t === "integer" || t === "null");
      if (!numeric || !(types.has("number") || types.has("integer"))) {
        ctx.out.add(
          DiagnosticCode.conditionTypeMismatch,
          testPath,
          `"${comparison.test}" compares numbers, but "${text}" is ${describeTypes(types)}: compare it with "equals" or "in", or read a number.`,
          { types: [...types] },
        );
        return;
      }
    } else {
      const literals =
        comparison.test === "in" ? (comparison.value as unknown[]) : [comparison.value];
      for (const literal of literals) {
        const type = literalType(literal);
        if (!typesCompatible(new Set([type]), types)) {
          ctx.out.add(
            DiagnosticCode.conditionTypeMismatch,
            testPath,
            `"${text}" is ${describeTypes(types)}, so it never equals the ${type} ${JSON.stringify(literal)}: compare it with a ${describeTypes(types)}.`,
            { types: [...types], literal },
          );
          return;
        }
      }
      const allowed = sources.flatMap(
        (source) => allowedValues(source.root, source.schema) ?? [undefined],
      );
      if (!allowed.includes(undefined)) {
        const impossible = literals.filter((literal) => !allowed.includes(literal));
        if (impossible.length > 0) {
          ctx.out.add(
            DiagnosticCode.conditionNeverMatches,
            testPath,
            `"${text}" is one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, never ${impossible.map((v) => JSON.stringify(v)).join(", ")}: ${comparison.test === "notEquals" ? "the condition would always hold" : "the condition could never match that"}. Fix the literal.`,
            { allowed, impossible },
          );
          return;
        }
      }
    }
  }
  if (condition.ifMissing !== undefined) return;
  const absent = absentPrefix(ctx, parsed.segments, index, known);
  if (absent) {
    ctx.out.add(
      DiagnosticCode.conditionUnguarded,
      [...path, "path"],
      `"${text}" may be absent (${absent.why}): guard it with { "path": "${absent.prefix}", "exists": true }${absent.step ? ` or { "stepRan": "${absent.step}" }` : ""} earlier in an "all", or say what absence means with "ifMissing": true or false.`,
      { prefix: absent.prefix },
    );
  }
}

type Walk = { root: JsonSchema; schema: unknown; from: number };

/** The schemas a path into an earlier step's result walks, each from its segment `from`. */
function stepWalks(
  ctx: AnalysisContext,
  step: StepDefinition,
  index: number,
  rest: ReadonlyArray<string | number>,
): Walk[] | undefined {
  const walks: Walk[] = [];
  if (step.kind === "saga") {
    // The child's declared output: each of its fields is always there (see checkOutput).
    const schema = childOf(ctx, step, index, false)?.output?.schema as JsonSchema | undefined;
    return schema === undefined ? undefined : [{ root: schema, schema, from: 3 }];
  }
  const service = Object.hasOwn(ctx.contracts, step.service)
    ? ctx.contracts[step.service]
    : undefined;
  if (!service) return undefined;
  if (step.kind === "command") {
    const command = service.commands?.[step.command];
    for (const reply of step.outcomes.success) {
      const schema = command?.replies[reply];
      if (!schema) return undefined;
      const json = contractJsonSchema(schema, "output");
      walks.push({ root: json, schema: json, from: 3 });
    }
  } else if (step.kind === "await") {
    for (const name of step.outcomes.success) {
      const event = service.events?.[name];
      if (!event) return undefined;
      const json = contractJsonSchema(event.payload, "output");
      walks.push({ root: json, schema: json, from: 3 });
    }
  } else {
    if (rest[0] !== "body") return undefined;
    const endpoint = service.endpoints?.find(
      (candidate) =>
        candidate.method === step.request.method && candidate.path === step.request.path,
    );
    for (const status of step.outcomes.success) {
      const response = endpoint?.responses[status];
      if (!response) return undefined;
      const json = contractJsonSchema(response.body, "output");
      walks.push({ root: json, schema: json, from: 4 });
    }
  }
  return walks;
}

/** The first part of a path that may be absent and is not guarded, with why; undefined if none. */
function absentPrefix(
  ctx: AnalysisContext,
  segments: ReadonlyArray<string | number>,
  index: number,
  known: ReadonlySet<ConditionFact>,
): { prefix: string; why: string; step?: string } | undefined {
  const [root, stepName, , ...rest] = segments;
  // The guards before this test in its `all`s, and what the steps they say ran guarantee in turn
  // (never the rest of this condition: a guard after the comparison does not protect it).
  const facts = new Set(known);
  for (const fact of known) {
    const ran = fact.startsWith("ran:") ? ctx.stepIndexByName.get(fact.slice(4)) : undefined;
    if (ran !== undefined && ran < index) for (const more of stepFacts(ctx, ran)) facts.add(more);
  }
  const text = (count: number) => `$${formatJsonPath(segments.slice(0, count)).slice(1)}`;
  let walks: Walk[] = [];
  if (root === "input") {
    if (!ctx.inputSchema) return undefined;
    walks = [{ root: ctx.inputSchema, schema: ctx.inputSchema, from: 1 }];
  } else if (root === "steps" && typeof stepName === "string") {
    const referenced = ctx.stepIndexByName.get(stepName);
    if (referenced === undefined) return undefined;
    if (ctx.skeletons[referenced]?.conditional && !guards(facts, text(2), stepName)) {
      return {
        prefix: text(2),
        why: `step "${stepName}" has a condition and may not have run`,
        step: stepName,
      };
    }
    const step = ctx.steps[referenced];
    const found = step ? stepWalks(ctx, step, referenced, rest) : undefined;
    if (!found) return undefined;
    walks = found;
  } else {
    return undefined;
  }
  for (const { root: schemaRoot, schema, from } of walks) {
    let current: unknown = schema;
    for (let at = from; at < segments.length; at++) {
      const segment = segments[at] as string | number;
      const optional =
        typeof segment === "number" ||
        (() => {
          const shape = objectShape(schemaRoot, current);
          return shape !== undefined && !shape.required.includes(segment);
        })();
      if (optional && !guards(facts, text(at + 1))) {
        return {
          prefix: text(at + 1),
          why:
            typeof segment === "number"
              ? `the list may have fewer than ${segment + 1} items`
              : `the schema does not require "${segment}"`,
        };
      }
      const next = lookupPath(schemaRoot, current, [segment]);
      if (!next.found) return undefined;
      current = next.schema;
    }
  }
  return undefined;
}

// Structural and semantic validation of a definition. Every problem is collected (never thrown),
// so an author sees all of them at once. Structure is checked with zod per part (header, then each
// step on its own), so one broken step does not hide the semantic problems of the others. The
// checks live in validate/ by concern: limits and pivot rules, contracts, data-flow paths.
import type { z } from "zod";
import type { ContractRegistry, JsonSchema } from "./contract-registry.ts";
import {
  type ConditionDefinition,
  definitionHeaderSchema,
  MAX_STEPS,
  type StepDefinition,
  stepSchema,
} from "./definition-schema.ts";
import { DURATION_PATTERN, parseDuration } from "./duration.ts";
import { type Diagnostic, DiagnosticCode, type JsonPath } from "./errors.ts";
import type { SagaLookup } from "./sub-saga/saga-catalog.ts";
import { checkAwaitDeadlinePresent, isMissingDeadlineIssue } from "./validate/await.ts";
import {
  checkCondition,
  checkConditionShape,
  checkPivotUnconditional,
} from "./validate/conditions.ts";
import { type AnalysisContext, isRecord, skeletonOf } from "./validate/context.ts";
import { checkStep } from "./validate/contracts.ts";
import { Collector } from "./validate/diagnostics.ts";
import { checkPivotRules, checkSagaTimeout, checkStepNames } from "./validate/limits.ts";
import {
  checkAwaitOutsideBranches,
  checkGroupNames,
  checkPivotOutsideBranches,
  flattenSteps,
} from "./validate/parallel.ts";
import { checkBrokenStepPaths } from "./validate/paths.ts";
import { checkOutput, checkSubSagaStep } from "./validate/sub-saga.ts";
import { guardValue } from "./value-guard.ts";

export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_COMPENSATION_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
} from "./validate/context.ts";

/** The result of analysing a definition: its problems, and the parsed parts that were valid. */
export interface Analysis {
  diagnostics: Diagnostic[];
  header: z.infer<typeof definitionHeaderSchema> | undefined;
  steps: Array<StepDefinition | undefined>;
  /** JSON Schema of the declared `output`, when there is one (a parent's paths read it). */
  outputSchema: JsonSchema | undefined;
}

/**
 * A step whose only structural problems are durations (all optional fields) is checked further
 * without them, so that a bad "timeout" does not hide the step's payload and contract problems:
 * the author sees every problem at once. Any other structural problem leaves the step unparsed.
 */
function withoutBadDurations(
  rawStep: unknown,
  issues: readonly z.core.$ZodIssue[],
): StepDefinition | undefined {
  const onlyDurations = issues.every(
    (issue) =>
      issue.code === "invalid_format" &&
      "pattern" in issue &&
      String(issue.pattern) === String(DURATION_PATTERN) &&
      issue.path.length > 0,
  );
  if (!onlyDurations || !isRecord(rawStep)) return undefined;
  const copy = structuredClone(rawStep);
  for (const issue of issues) {
    let parent: unknown = copy;
    for (const key of issue.path.slice(0, -1)) {
      parent = isRecord(parent) ? parent[key as string] : undefined;
    }
    if (isRecord(parent)) delete parent[issue.path.at(-1) as string];
  }
  const parsed = stepSchema.safeParse(copy);
  return parsed.success ? parsed.data : undefined;
}

/** Validates a definition against the format, the pivot rules, AWS limits and the contracts. */
export function analyseDefinition(
  raw: unknown,
  contracts: ContractRegistry,
  sagas?: SagaLookup,
): Analysis {
  const ctx: AnalysisContext = {
    out: new Collector(),
    raw,
    contracts,
    sagas,
    steps: [],
    skeletons: [],
    stepIndexByName: new Map(),
    stepPaths: [],
    places: [],
    inputSchema: undefined,
    sagaTimeoutMs: undefined,
  };
  // Depth and prototype keys first: later checks recurse and copy, so they only see sound data.
  const guarded = guardValue(ctx.raw);
  if (guarded.length > 0) {
    return { diagnostics: guarded, header: undefined, steps: [], outputSchema: undefined };
  }
  const header = definitionHeaderSchema.safeParse(ctx.raw, { reportInput: true });
  if (!header.success) ctx.out.addZodIssues(header.error.issues, []);
  const topLevel = isRecord(ctx.raw) && Array.isArray(ctx.raw.steps) ? ctx.raw.steps : [];
  // Branch steps join the one list every check walks; each keeps the path it was written at.
  const flat = flattenSteps(topLevel, ctx.out);
  const rawSteps = flat.map((entry) => entry.raw);
  ctx.stepPaths = flat.map((entry) => entry.path);
  ctx.places = flat.map((entry) => entry.place);
  if (isRecord(ctx.raw) && Array.isArray(ctx.raw.steps)) {
    if (topLevel.length === 0) {
      ctx.out.add(DiagnosticCode.fieldInvalid, ["steps"], "Add at least one step to $.steps.");
    } else if (rawSteps.length > MAX_STEPS) {
      ctx.out.add(
        DiagnosticCode.fieldInvalid,
        ["steps"],
        `Split the saga: it has ${rawSteps.length} steps (counting those inside parallel branches) and at most ${MAX_STEPS} are allowed.`,
      );
    }
  }
  ctx.steps = rawSteps.map((rawStep, index) => {
    const at = ctx.stepPaths[index] as JsonPath;
    // The condition is checked on its own: a union's zod error says little, and a broken
    // condition should not hide the step's other problems.
    const { when, ...rest } = isRecord(rawStep) ? rawStep : { when: undefined };
    const parsed = stepSchema.safeParse(isRecord(rawStep) ? rest : rawStep, { reportInput: true });
    const conditionSound =
      when === undefined || checkConditionShape(when, [...at, "when"], ctx.out);
    if (!parsed.success) {
      // A wait without a deadline gets its own code, not the generic "field missing".
      const deadlineReported = checkAwaitDeadlinePresent(rawStep, at, ctx.out);
      const issues = deadlineReported
        ? parsed.error.issues.filter((issue) => !isMissingDeadlineIssue(issue))
        : parsed.error.issues;
      ctx.out.addZodIssues(issues, at);
      return withoutBadDurations(rawStep, parsed.error.issues);
    }
    if (when === undefined) return parsed.data;
    return conditionSound ? { ...parsed.data, when: when as ConditionDefinition } : parsed.data;
  });
  // A step with structural errors is still known by what it validly declares (its name, pivot,
  // readOnly, whether it has a compensation), so references to it resolve and its other
  // problems are reported instead of a cascade of "there is no step" errors.
  ctx.skeletons = rawSteps.map((rawStep, index) => skeletonOf(ctx.steps[index], rawStep));

  // Salvage the header fields that are valid on their own, so their checks still run.
  if (isRecord(ctx.raw)) {
    const input = definitionHeaderSchema.shape.input.safeParse(ctx.raw.input);
    if (input.success) ctx.inputSchema = input.data as JsonSchema;
    if (typeof ctx.raw.timeout === "string") ctx.sagaTimeoutMs = parseDuration(ctx.raw.timeout);
  }

  checkSagaTimeout(ctx);
  checkStepNames(ctx);
  checkGroupNames(ctx, topLevel);
  checkPivotOutsideBranches(ctx);
  checkAwaitOutsideBranches(ctx, rawSteps);
  checkPivotRules(ctx);
  checkPivotUnconditional(ctx);
  ctx.steps.forEach((step, index) => {
    if (step) {
      if (step.kind === "saga") checkSubSagaStep(ctx, step, index);
      else checkStep(ctx, step, index);
      checkCondition(ctx, step, index);
    } else checkBrokenStepPaths(ctx, rawSteps[index], index);
  });
  const outputSchema = isRecord(ctx.raw) ? checkOutput(ctx, ctx.raw.output) : undefined;
  return {
    diagnostics: ctx.out.diagnostics,
    header: header.success ? header.data : undefined,
    steps: ctx.steps,
    outputSchema,
  };
}

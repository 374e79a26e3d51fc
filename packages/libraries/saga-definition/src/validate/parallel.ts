// Parallel groups in the validator: the group's own shape, flattening its branch steps into the
// one list every other check walks (each step keeps the JSON path it was written at, so every
// problem is still reported at its line and column), and the rules only groups have: no pivot in
// a branch, and no branch reading its sibling's output.
import { z } from "zod";
import { NAME_PATTERN } from "../definition-schema.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import { type AnalysisContext, type BranchPlace, isRecord } from "./context.ts";
import type { Collector } from "./diagnostics.ts";

/** One step of the flattened list: its raw value, where it was written, and its branch if any. */
export interface FlatStep {
  raw: unknown;
  path: JsonPath;
  place: BranchPlace | undefined;
}

const groupShape = z.strictObject({
  kind: z.literal("parallel"),
  name: z.string().regex(NAME_PATTERN).max(64),
  description: z.string().optional(),
  branches: z
    .array(
      z.strictObject({
        name: z.string().regex(NAME_PATTERN).max(64),
        steps: z.array(z.unknown()).min(1),
      }),
    )
    .min(2),
});

/** Whether an entry of `$.steps` is a parallel group (by its `kind`). */
export function isGroup(raw: unknown): raw is Record<string, unknown> {
  return isRecord(raw) && raw.kind === "parallel";
}

/**
 * Flattens `$.steps` into steps: a group's branch steps take its place, branch after branch.
 * Reports the group's own problems (too few branches, an empty branch, a group inside a branch,
 * a branch name used twice); a branch that cannot be read contributes no steps.
 */
export function flattenSteps(rawSteps: readonly unknown[], out: Collector): FlatStep[] {
  const flat: FlatStep[] = [];
  rawSteps.forEach((raw, groupIndex) => {
    const path: JsonPath = ["steps", groupIndex];
    if (!isGroup(raw)) {
      flat.push({ raw, path, place: undefined });
      return;
    }
    const parsed = groupShape.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const where = issue.path as Array<string | number>;
        // An empty or missing branch list says more than zod's "too small".
        if (where.length === 1 && where[0] === "branches" && issue.code === "too_small") {
          out.add(
            DiagnosticCode.parallelBranchesTooFew,
            [...path, "branches"],
            "Give the parallel group at least two branches: a single branch is a plain sequence of steps, so write its steps in $.steps instead.",
          );
        } else if (where.length === 3 && where[2] === "steps" && issue.code === "too_small") {
          out.add(
            DiagnosticCode.parallelBranchEmpty,
            [...path, ...where],
            "Give this branch at least one step, or remove the branch.",
          );
        } else out.addZodIssues([issue], path);
      }
    }
    const branches = Array.isArray(raw.branches) ? raw.branches : [];
    const groupName = typeof raw.name === "string" ? raw.name : `#${groupIndex}`;
    const seen = new Map<string, number>();
    branches.forEach((branch, branchIndex) => {
      if (!isRecord(branch) || !Array.isArray(branch.steps)) return;
      const branchName = typeof branch.name === "string" ? branch.name : `#${branchIndex}`;
      const first = seen.get(branchName);
      if (first !== undefined) {
        out.add(
          DiagnosticCode.parallelBranchNameDuplicate,
          [...path, "branches", branchIndex, "name"],
          `Rename this branch: "${branchName}" already names branch ${first} of group "${groupName}".`,
        );
      } else seen.set(branchName, branchIndex);
      branch.steps.forEach((step, stepIndex) => {
        const stepPath: JsonPath = [...path, "branches", branchIndex, "steps", stepIndex];
        if (isGroup(step)) {
          out.add(
            DiagnosticCode.parallelNested,
            [...stepPath, "kind"],
            `Move this group out of branch "${branchName}": a branch holds a short sequence of steps, not another group. Put the inner branches side by side in "${groupName}" instead.`,
          );
          return;
        }
        flat.push({
          raw: step,
          path: stepPath,
          place: { group: groupName, branch: branchName, groupIndex, branchIndex },
        });
      });
    });
  });
  return flat;
}

/** The pivot belongs to the one forward line: a branch runs beside others, so it cannot be it. */
export function checkPivotOutsideBranches(ctx: AnalysisContext) {
  ctx.skeletons.forEach((step, index) => {
    const place = ctx.places[index];
    if (!step?.pivot || !place) return;
    ctx.out.add(
      DiagnosticCode.pivotInBranch,
      [...(ctx.stepPaths[index] as JsonPath), "pivot"],
      `Move the pivot out of group "${place.group}": step "${step.name}" runs beside the other branches, so their steps could still fail after the point of no return. Make a step before or after the group the pivot.`,
    );
  });
}

/** Group names share the namespace of step names: both name states and appear in paths. */
export function checkGroupNames(ctx: AnalysisContext, rawSteps: readonly unknown[]) {
  rawSteps.forEach((raw, groupIndex) => {
    if (!isGroup(raw) || typeof raw.name !== "string") return;
    const clash = ctx.stepIndexByName.get(raw.name);
    const otherGroup = rawSteps.findIndex(
      (other, index) => index < groupIndex && isGroup(other) && other.name === raw.name,
    );
    if (clash === undefined && otherGroup < 0) return;
    ctx.out.add(
      DiagnosticCode.stepNameDuplicate,
      ["steps", groupIndex, "name"],
      `Rename this group: "${raw.name}" is already the name of ${clash === undefined ? `the group at $.steps[${otherGroup}]` : `a step`}; step and group names must be unique.`,
    );
  });
}

/**
 * Why step `reader` may not read step `target`'s output, when the two sit in sibling branches of
 * one group (the sibling runs at the same time, so its output may not exist yet), else undefined.
 */
export function siblingBranchReason(
  ctx: AnalysisContext,
  reader: number,
  target: number,
): string | undefined {
  const here = ctx.places[reader];
  const there = ctx.places[target];
  if (!here || !there || here.groupIndex !== there.groupIndex) return undefined;
  if (here.branchIndex === there.branchIndex) return undefined;
  return `step "${ctx.skeletons[target]?.name}" runs in branch "${there.branch}" of group "${here.group}", beside branch "${here.branch}", so its result may not exist yet: read it after the group, or move both steps into one branch`;
}

/** The index of the last step in the one forward line (a branch step is never the last one). */
export function lastLineIndex(ctx: AnalysisContext): number {
  const last = ctx.skeletons.length - 1;
  return ctx.places[last] ? ctx.skeletons.length : last;
}

/**
 * A wait belongs to the one forward line: its deadline, its open key and an operator's
 * complete-wait or reopen-wait act on the saga's single open wait, which a branch running beside
 * others cannot give it.
 */
export function checkAwaitOutsideBranches(ctx: AnalysisContext, rawSteps: readonly unknown[]) {
  rawSteps.forEach((raw, index) => {
    const place = ctx.places[index];
    if (!place || !isRecord(raw) || raw.kind !== "await") return;
    ctx.out.add(
      DiagnosticCode.awaitInBranch,
      [...(ctx.stepPaths[index] as JsonPath), "kind"],
      `Move await step "${String(raw.name)}" out of group "${place.group}": a wait runs on the saga's one forward line, not beside other branches. Wait before or after the group.`,
    );
  });
}

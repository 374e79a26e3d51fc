// What a condition guarantees when it holds: the steps it says ran and the paths it says exist.
// The condition checks use it for guards inside a condition; the path checks use it to know which
// conditional steps a step (and its mappings) can rely on.
import type { ConditionDefinition } from "../definition-schema.ts";
import type { AnalysisContext } from "./context.ts";

/** A fact a condition establishes: `ran:<step>` or `path:<path text>`. */
export type ConditionFact = `ran:${string}` | `path:${string}`;

/** The facts that hold whenever `condition` holds (only what `all`, `stepRan` and `exists` say). */
export function factsOf(condition: ConditionDefinition): ConditionFact[] {
  if ("all" in condition) return condition.all.flatMap(factsOf);
  if ("stepRan" in condition) return [`ran:${condition.stepRan}`];
  if ("path" in condition && "exists" in condition && condition.exists) {
    return [`path:${condition.path}`];
  }
  return [];
}

/** Whether `facts` make `prefix` (a path, or `$.steps.<step>`) present. */
export function guards(facts: ReadonlySet<ConditionFact>, prefix: string, step?: string): boolean {
  if (step !== undefined && facts.has(`ran:${step}`)) return true;
  for (const fact of facts) {
    if (!fact.startsWith("path:")) continue;
    const path = fact.slice(5);
    if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) {
      return true;
    }
  }
  return false;
}

/**
 * The facts that hold whenever step `index` runs: those of its own condition, and of the
 * conditions of the steps those say ran, transitively.
 */
export function stepFacts(ctx: AnalysisContext, index: number): Set<ConditionFact> {
  const facts = new Set<ConditionFact>();
  const seen = new Set<number>();
  const visit = (at: number) => {
    if (seen.has(at)) return;
    seen.add(at);
    const when = ctx.steps[at]?.when;
    if (!when) return;
    for (const fact of factsOf(when)) {
      facts.add(fact);
      if (fact.startsWith("ran:")) {
        const earlier = ctx.stepIndexByName.get(fact.slice(4));
        if (earlier !== undefined && earlier < at) visit(earlier);
      }
    }
  };
  visit(index);
  return facts;
}

/** Whether step `name` may not have run by the time step `index` runs (it has a condition). */
export function mayNotHaveRun(ctx: AnalysisContext, name: string, index: number): boolean {
  const referenced = ctx.stepIndexByName.get(name);
  if (referenced === undefined || !ctx.skeletons[referenced]?.conditional) return false;
  if (referenced === index) return false;
  return !stepFacts(ctx, index).has(`ran:${name}`);
}

// What a definition that starts other sagas is checked against: the other sagas of its folder.
// A parent is compiled after its children (their input schema, declared output and pivot are
// what its steps are checked against), so the loader orders the files by their sub-saga
// references and hands each compile a lookup of what is already compiled; a reference that
// closes a cycle can never be compiled first, and the lookup says so instead.
import type { CompiledSaga } from "../compiled-saga.ts";

/** How deep sagas may start sagas: a saga, its children and grandchildren, no further. */
export const MAX_SUB_SAGA_NESTING = 3;

/** What a parent may learn of a saga it names. */
export type SagaCatalogEntry =
  | { kind: "compiled"; saga: CompiledSaga }
  /** The saga reaches back to itself: `cycle` names the sagas in order, the first repeated last. */
  | { kind: "cycle"; cycle: string[] }
  /** Its own file has problems (reported there), so nothing of it can be checked against. */
  | { kind: "invalid" };

/** Finds a saga by name; undefined when no definition of that name exists. */
export type SagaLookup = (name: string) => SagaCatalogEntry | undefined;

/** A lookup over already compiled sagas only (tests, tools that hold compiled definitions). */
export function catalogOf(sagas: readonly CompiledSaga[]): SagaLookup {
  const byName = new Map(sagas.map((saga) => [saga.name, saga]));
  return (name) => {
    const saga = byName.get(name);
    return saga ? { kind: "compiled", saga } : undefined;
  };
}

/** The child sagas a compiled saga starts, by name. */
export function childNames(saga: CompiledSaga): string[] {
  return saga.steps.flatMap((step) => (step.action.kind === "saga" ? [step.action.saga.name] : []));
}

/**
 * How many levels of sagas a compiled saga starts below itself: 0 without sub-saga steps.
 * Children it cannot look up count as leaves (they are reported where they are named).
 */
export function nestingBelow(
  saga: CompiledSaga,
  lookup: SagaLookup,
  seen = new Set<string>(),
): number {
  if (seen.has(saga.name)) return 0;
  const inner = new Set(seen).add(saga.name);
  let deepest = 0;
  for (const name of childNames(saga)) {
    const entry = lookup(name);
    const below = entry?.kind === "compiled" ? nestingBelow(entry.saga, lookup, inner) : 0;
    deepest = Math.max(deepest, 1 + below);
  }
  return deepest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The names of the sagas a raw (not yet validated) definition starts, wherever its steps sit. */
export function referencedSagas(raw: unknown): string[] {
  if (!isRecord(raw) || !Array.isArray(raw.steps)) return [];
  const names: string[] = [];
  const visit = (step: unknown) => {
    if (!isRecord(step)) return;
    if (step.kind === "saga" && isRecord(step.saga) && typeof step.saga.name === "string") {
      names.push(step.saga.name);
    }
    if (step.kind === "parallel" && Array.isArray(step.branches)) {
      for (const branch of step.branches) {
        if (isRecord(branch) && Array.isArray(branch.steps)) branch.steps.forEach(visit);
      }
    }
  };
  raw.steps.forEach(visit);
  return names;
}

/**
 * The order to compile sagas in (children before parents), and for each saga on a cycle the
 * cycle it is on. `references` maps each saga name to the names it starts; names without an
 * entry are unknown sagas and are left to the validator.
 */
export function compilationOrder(references: ReadonlyMap<string, readonly string[]>): {
  order: string[];
  cycles: Map<string, string[]>;
} {
  const order: string[] = [];
  const cycles = new Map<string, string[]>();
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      for (const member of cycle.slice(0, -1)) {
        if (!cycles.has(member)) {
          // Each member's own view of the cycle starts with itself.
          const at = cycle.indexOf(member);
          cycles.set(member, [...cycle.slice(at, -1), ...cycle.slice(0, at), member]);
        }
      }
      return;
    }
    state.set(name, "visiting");
    stack.push(name);
    for (const child of references.get(name) ?? []) {
      if (references.has(child)) visit(child);
    }
    stack.pop();
    state.set(name, "done");
    order.push(name);
  };
  for (const name of [...references.keys()].sort()) visit(name);
  return { order, cycles };
}

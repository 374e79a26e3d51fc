// Compiling parallel groups: the definition's entries flattened into the one step list the
// engine indexes (a branch's steps in order, branch after branch), and each group's fork, join
// and unwind states with the chains inside its branches.
import {
  type CompiledGroup,
  type CompiledState,
  type CompiledStep,
  compensationStateId,
  FINAL_STATES,
  groupStateIds,
  stepStateId,
} from "./compiled-saga.ts";
import type { SagaItemDefinition, StepDefinition } from "./definition-schema.ts";

/** An entry of `$.steps` over the flattened list: a step, or a group's branches of step indexes. */
export type LineItem =
  | { kind: "step"; index: number }
  | {
      kind: "group";
      name: string;
      description: string | null;
      branches: Array<{ name: string; indexes: number[] }>;
    };

/** The steps in engine order, each with its branch, and the entries of the forward line. */
export function flattenDefinition(items: readonly SagaItemDefinition[]): {
  steps: Array<{ step: StepDefinition; branch?: { group: string; branch: string } }>;
  line: LineItem[];
} {
  const steps: Array<{ step: StepDefinition; branch?: { group: string; branch: string } }> = [];
  const line: LineItem[] = [];
  for (const item of items) {
    if (item.kind !== "parallel") {
      line.push({ kind: "step", index: steps.length });
      steps.push({ step: item });
      continue;
    }
    line.push({
      kind: "group",
      name: item.name,
      description: item.description ?? null,
      branches: item.branches.map((branch) => ({
        name: branch.name,
        indexes: branch.steps.map((step) => {
          steps.push({ step, branch: { group: item.name, branch: branch.name } });
          return steps.length - 1;
        }),
      })),
    });
  }
  return { steps, line };
}

/** The state an entry of the line starts in. */
export function entryState(item: LineItem | undefined, steps: readonly CompiledStep[]): string {
  if (!item) return FINAL_STATES.completed;
  if (item.kind === "group") return groupStateIds(item.name).fork;
  return stepStateId((steps[item.index] as CompiledStep).name);
}

/** Whether failing after this entry leaves something of it to undo. */
export function undoState(item: LineItem, steps: readonly CompiledStep[]): string | undefined {
  if (item.kind === "step") {
    const step = steps[item.index] as CompiledStep;
    return step.compensation ? compensationStateId(step.name) : undefined;
  }
  const undoable = item.branches.some((branch) =>
    branch.indexes.some((index) => steps[index]?.compensation),
  );
  return undoable ? groupStateIds(item.name).unwind : undefined;
}

/**
 * The states of one group: fork, join, unwind, and each branch step's forward and compensation
 * states. Inside a branch the chains run as on the forward line, but end at the group's join
 * (forward) and unwind (compensation); the engine stops the siblings when a branch fails.
 */
export function groupStates(
  item: Extract<LineItem, { kind: "group" }>,
  steps: readonly CompiledStep[],
  after: string,
  undoBefore: string,
): { states: Record<string, CompiledState>; group: CompiledGroup } {
  const ids = groupStateIds(item.name);
  const states: Record<string, CompiledState> = {};
  const branches = item.branches.map((branch) => {
    const chain = branch.indexes.map((index) => steps[index] as CompiledStep);
    const undoBeforeIn = (position: number): string => {
      for (let earlier = position - 1; earlier >= 0; earlier--) {
        const candidate = chain[earlier] as CompiledStep;
        if (candidate.compensation) return compensationStateId(candidate.name);
      }
      return ids.unwind;
    };
    chain.forEach((step, position) => {
      const next = chain[position + 1];
      const onSuccess = next ? stepStateId(next.name) : ids.join;
      const retriable = step.role === "retriable";
      states[stepStateId(step.name)] = {
        type: "step",
        step: step.name,
        onSuccess,
        onFailure: retriable ? FINAL_STATES.needsIntervention : undoBeforeIn(position),
        onExhausted: retriable
          ? FINAL_STATES.needsIntervention
          : step.compensation
            ? compensationStateId(step.name)
            : undoBeforeIn(position),
        ...(step.when ? { onNotTaken: onSuccess } : {}),
      };
      if (step.compensation) {
        states[compensationStateId(step.name)] = {
          type: "compensation",
          step: step.name,
          onSuccess: undoBeforeIn(position),
          onExhausted: FINAL_STATES.needsIntervention,
        };
      }
    });
    return {
      name: branch.name,
      start: stepStateId((chain[0] as CompiledStep).name),
      unwind: undoBeforeIn(chain.length),
      steps: chain.map((step) => step.name),
    };
  });
  states[ids.fork] = {
    type: "fork",
    group: item.name,
    branches: branches.map(({ name, start, unwind }) => ({ name, start, unwind })),
  };
  states[ids.join] = { type: "join", group: item.name, onSuccess: after };
  states[ids.unwind] = { type: "unwind", group: item.name, onSuccess: undoBefore };
  return {
    states,
    group: {
      name: item.name,
      description: item.description,
      branches: branches.map(({ name, steps: names }) => ({ name, steps: names })),
    },
  };
}

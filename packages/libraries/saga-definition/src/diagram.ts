// Renders a compiled saga as a Mermaid state diagram: the forward path top to bottom, failure
// edges into the compensation chain, the chain running backwards to `compensated`, and the pivot
// highlighted. It reads only the compiled machine, so the picture is exactly what the engine runs.

import { deadlineEdgeText, describeAwait } from "./await/describe-await.ts";
import {
  type CompiledSaga,
  type CompiledState,
  type CompiledStep,
  compensationStateId,
  FINAL_STATES,
  groupStateIds,
  stepStateId,
} from "./compiled-saga.ts";
import { type CompiledCondition, describeCondition } from "./condition.ts";
import {
  describeSubSaga,
  describeSubSagaCompensation,
  subSagaDeadlineText,
} from "./sub-saga/describe-sub-saga.ts";

function nodeId(stateId: string): string {
  return stateId.replace(/[^A-Za-z0-9]+/g, "_");
}

/**
 * A state's name, inside `state "…" as id`: a double quote would end it, so it becomes a single
 * one; a colon is safe within the quotes, so a path reads as the definition writes it
 * (`/customers/:id`).
 */
function stateLabel(text: string): string {
  return text.replace(/"/g, "'");
}

/**
 * An edge label, after `-->  a: `: older Mermaid parsers end the label at a second colon, so a
 * colon becomes a look-alike (U+2236) there.
 */
function edgeLabel(text: string): string {
  return stateLabel(text).replace(/:/g, "\u2236");
}

function describeStep(step: CompiledStep): string {
  const action =
    step.action.kind === "command"
      ? `${step.service} ← ${step.action.command}`
      : step.action.kind === "http"
        ? `${step.service} ← ${step.action.method} ${step.action.path}`
        : step.action.kind === "saga"
          ? (describeSubSaga(step) as string)
          : (describeAwait(step) as string);
  return `${step.name}<br/>${action}<br/><i>${step.role}</i>`;
}

function retryText(step: CompiledStep): string {
  return step.retry.maxAttempts === null
    ? "retried until success"
    : `${step.retry.maxAttempts} attempts`;
}

/**
 * The states in the order of the steps (each step, then its compensation), then the final states.
 * Never the key order of `saga.states`: a compiled saga read back from Postgres jsonb has its keys
 * reordered, and the API must draw the same diagram as `saga graph`.
 */
function orderedStates(saga: CompiledSaga): Array<[string, CompiledState]> {
  const groupIds = (name: string) => {
    const ids = groupStateIds(name);
    return [ids.fork, ids.join, ids.unwind];
  };
  const order = [
    ...saga.steps.flatMap((step) => [
      // A group's states come just before its first step.
      ...(step.branch && saga.groups?.find((group) => group.branches[0]?.steps[0] === step.name)
        ? groupIds(step.branch.group)
        : []),
      stepStateId(step.name),
      compensationStateId(step.name),
    ]),
    ...Object.values(FINAL_STATES),
  ];
  const known = new Set(order);
  const others = Object.keys(saga.states)
    .filter((id) => !known.has(id))
    .sort();
  return [...order, ...others].flatMap((id) =>
    Object.hasOwn(saga.states, id) ? [[id, saga.states[id] as CompiledState]] : [],
  );
}

/** Renders the compiled saga as a Mermaid `stateDiagram-v2`. */
export function renderMermaid(saga: CompiledSaga): string {
  const lines: string[] = [
    "stateDiagram-v2",
    `  %% ${saga.name} v${saga.version} (${saga.hash})`,
    "  direction TB",
  ];
  const steps = new Map(saga.steps.map((step) => [step.name, step]));
  const stateEntries = orderedStates(saga);

  for (const [id, state] of stateEntries) {
    if (state.type === "step") {
      const step = steps.get(state.step) as CompiledStep;
      lines.push(`  state "${stateLabel(describeStep(step))}" as ${nodeId(id)}`);
    } else if (state.type === "compensation") {
      const step = steps.get(state.step) as CompiledStep;
      const command = step.compensation?.command ?? "";
      const undo =
        describeSubSagaCompensation(step) ??
        `${step.compensation?.service ?? step.service} ← ${command}`;
      lines.push(`  state "${stateLabel(`undo ${step.name}<br/>${undo}`)}" as ${nodeId(id)}`);
    }
  }
  declareGroups(stateEntries, lines);
  // A conditional step is entered through a choice: the saga reaches the choice, and takes the
  // step only when its condition holds.
  const choices = new Map<string, string>();
  for (const [id, state] of stateEntries) {
    if (state.type === "step" && steps.get(state.step)?.when) {
      const choice = `when_${nodeId(id)}`;
      choices.set(id, choice);
      lines.push(`  state ${choice} <<choice>>`);
    }
  }
  const target = (id: string) => choices.get(id) ?? nodeId(id);
  const used = new Set<string>();
  const edge = (from: string, to: string, text: string) => {
    used.add(to);
    // A compensation chain inside a branch ends where the group waits for its other branches.
    const to2 =
      saga.states[from]?.type === "compensation" && saga.states[to]?.type === "unwind"
        ? unwoundNode(to)
        : target(to);
    lines.push(`  ${nodeId(from)} --> ${to2}: ${edgeLabel(text)}`);
  };

  lines.push("", "  %% forward path", `  [*] --> ${target(saga.initial)}`);
  for (const [id, state] of stateEntries) {
    const choice = choices.get(id);
    if (state.type !== "step" || !choice) continue;
    const step = steps.get(state.step) as CompiledStep;
    const notTaken = state.onNotTaken ?? state.onSuccess;
    used.add(notTaken);
    lines.push(
      `  ${choice} --> ${nodeId(id)}: ${edgeLabel(`when ${describeCondition(step.when as CompiledCondition)}`)}`,
      `  ${choice} --> ${target(notTaken)}: ${edgeLabel("otherwise (not taken)")}`,
    );
  }
  for (const [id, state] of stateEntries) {
    if (state.type !== "step") continue;
    const step = steps.get(state.step) as CompiledStep;
    const success = step.outcomes.success.join(" | ");
    edge(
      id,
      state.onSuccess,
      step.role === "retriable" ? `${success} (${retryText(step)})` : success,
    );
  }
  groupEdges(stateEntries, edge, lines, used);
  lines.push(
    "",
    "  %% failure edges: failed for sure (business failure, non-retryable) or unknown outcome",
  );
  for (const [id, state] of stateEntries) {
    if (state.type !== "step") continue;
    const step = steps.get(state.step) as CompiledStep;
    if (step.action.kind === "await") {
      // A wait fails for sure only on a business-failure event; its deadline has its own edge.
      if (step.outcomes.businessFailure.length > 0) {
        edge(id, state.onFailure, step.outcomes.businessFailure.join(" | "));
      }
      edge(id, state.onExhausted, deadlineEdgeText(step));
      continue;
    }
    if (step.role === "retriable") {
      edge(id, state.onFailure, "cannot complete");
      continue;
    }
    // A child is started once: no retries, and its deadline is the only unknown outcome.
    const child = step.action.kind === "saga";
    const sure = child
      ? step.outcomes.businessFailure
      : [...step.outcomes.businessFailure, "non-retryable"];
    const unsure = child ? subSagaDeadlineText(step) : "exhausted | timeout";
    // A failing branch step stops its siblings and undoes the whole group, whatever its edge.
    if (step.branch) {
      const group = groupStateIds(step.branch.group);
      lines.push(
        `  ${nodeId(id)} --> ${nodeId(group.unwind)}: ${edgeLabel("fails: stop the other branches")}`,
      );
      used.add(group.unwind);
      continue;
    }
    if (state.onFailure === state.onExhausted) {
      edge(id, state.onFailure, [...sure, unsure].join(" | "));
    } else {
      edge(id, state.onFailure, sure.join(" | "));
      edge(id, state.onExhausted, unsure);
    }
  }
  lines.push("", "  %% compensation chain (reverse order)");
  for (const [id, state] of stateEntries) {
    if (state.type !== "compensation") continue;
    edge(id, state.onSuccess, "undone");
    edge(
      id,
      state.onExhausted,
      steps.get(state.step)?.branch
        ? "retries exhausted (once the other branches finish)"
        : "retries exhausted",
    );
  }
  lines.push("");
  for (const [id, state] of stateEntries) {
    if (state.type === "final" && used.has(id)) {
      if (nodeId(id) !== id) lines.push(`  state "${id}" as ${nodeId(id)}`);
      lines.push(`  ${nodeId(id)} --> [*]`);
    }
  }

  lines.push(
    "",
    "  classDef pivot fill:#fde68a,stroke:#b45309,stroke-width:3px",
    "  classDef compensation fill:#fee2e2,stroke:#b91c1c,stroke-dasharray:4 3",
    "  classDef retriable fill:#dcfce7,stroke:#15803d",
    "  classDef attention fill:#fecaca,stroke:#7f1d1d,stroke-width:2px",
  );
  // Only when the saga waits: the diagrams of sagas without waits stay as they were.
  if (saga.steps.some((step) => step.action.kind === "await")) {
    lines.push("  classDef wait fill:#e0f2fe,stroke:#0369a1,stroke-dasharray:6 3");
  }
  // Likewise only when the saga starts others.
  if (saga.steps.some((step) => step.action.kind === "saga")) {
    lines.push("  classDef child fill:#ede9fe,stroke:#6d28d9,stroke-width:2px");
  }
  const byClass = new Map<string, string[]>();
  const tag = (className: string, id: string) => {
    byClass.set(className, [...(byClass.get(className) ?? []), nodeId(id)]);
  };
  for (const [id, state] of stateEntries) {
    if (state.type === "compensation" || state.type === "unwind") tag("compensation", id);
    if (state.type === "step") {
      const role = (steps.get(state.step) as CompiledStep).role;
      if (role === "pivot") tag("pivot", id);
      if (role === "retriable") tag("retriable", id);
      if ((steps.get(state.step) as CompiledStep).action.kind === "await") tag("wait", id);
      if ((steps.get(state.step) as CompiledStep).action.kind === "saga") tag("child", id);
    }
  }
  if (used.has(FINAL_STATES.needsIntervention)) tag("attention", FINAL_STATES.needsIntervention);
  for (const [className, ids] of byClass) lines.push(`  class ${ids.join(",")} ${className}`);
  if (saga.pivot) {
    lines.push(
      `  note right of ${nodeId(`step:${saga.pivot}`)}`,
      "    pivot: the go/no-go step.",
      "    Before it, steps are compensated on failure;",
      "    after it, steps are retried until they succeed.",
      "  end note",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The node where a group's branches meet again once each is undone. */
function unwoundNode(unwindId: string): string {
  return `${nodeId(unwindId)}_done`;
}

/** Fork and join bars of each group, and the two nodes of its unwinding. */
function declareGroups(entries: Array<[string, CompiledState]>, lines: string[]): void {
  for (const [id, state] of entries) {
    if (state.type === "fork" || state.type === "join") {
      lines.push(`  state ${nodeId(id)} <<${state.type}>>`);
    } else if (state.type === "unwind") {
      lines.push(
        `  state "${stateLabel(`undo group ${state.group}<br/>stop running branches,<br/>undo every branch at once`)}" as ${nodeId(id)}`,
        `  state ${unwoundNode(id)} <<join>>`,
      );
    }
  }
}

/** Fork to each branch's first step, join on to what follows, and the group's unwinding. */
function groupEdges(
  entries: Array<[string, CompiledState]>,
  edge: (from: string, to: string, text: string) => void,
  lines: string[],
  used: Set<string>,
): void {
  for (const [id, state] of entries) {
    if (state.type === "fork") {
      lines.push(`  %% parallel group ${state.group}`);
      for (const branch of state.branches) edge(id, branch.start, `branch ${branch.name}`);
      const unwind = groupStateIds(state.group).unwind;
      for (const branch of state.branches) {
        if (branch.unwind === unwind) continue;
        lines.push(
          `  ${nodeId(unwind)} --> ${nodeId(branch.unwind)}: ${edgeLabel(`undo branch ${branch.name}`)}`,
        );
      }
      if (state.branches.some((branch) => branch.unwind === unwind)) {
        lines.push(
          `  ${nodeId(unwind)} --> ${unwoundNode(unwind)}: ${edgeLabel("nothing to undo")}`,
        );
      }
    } else if (state.type === "join") {
      edge(id, state.onSuccess, "every branch done");
    } else if (state.type === "unwind") {
      used.add(state.onSuccess);
      lines.push(
        `  ${unwoundNode(id)} --> ${nodeId(state.onSuccess)}: ${edgeLabel("every branch undone")}`,
      );
    }
  }
}

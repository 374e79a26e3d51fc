// Parallel groups: the fork that starts every branch in one transition, the join that waits for
// all of them, and the unwind that compensates a group when a branch (or a later step) fails.
//
// While a group runs, the saga's `state` is its fork and `pending` holds one entry per branch.
// When a branch fails nothing new starts: each sibling step still in flight is stopped and, since
// its outcome is unknown, compensated (the participant's guard refuses its late action), then
// every branch compensates its completed steps in reverse, the branches at the same time. Once
// every branch is undone the saga compensates the steps before the group. A branch whose
// compensation is exhausted waits for an operator while the others finish; the saga then needs one.
import {
  type CompiledGroup,
  type CompiledState,
  type CompiledStep,
  FINAL_STATES,
  groupStateIds,
} from "@sagaworks/saga-definition";
import { EngineErrorCode, EngineErrors } from "./errors.ts";
import { LifecycleEvent, type PendingWork, SagaStatus } from "./model.ts";
import type { Run } from "./run.ts";

type ForkState = Extract<CompiledState, { type: "fork" }>;
type JoinState = Extract<CompiledState, { type: "join" }>;
type UnwindState = Extract<CompiledState, { type: "unwind" }>;

/** Statuses of a step that let its branch go on (or end) forward. */
const DONE_FORWARD = new Set(["succeeded", "skipped", "not-taken"]);

export function groupNamed(run: Run, name: string): CompiledGroup {
  const group = run.compiled.groups?.find((candidate) => candidate.name === name);
  if (!group) {
    throw EngineErrors.create(
      EngineErrorCode.unknownState,
      `Saga ${run.compiled.name} has no parallel group "${name}".`,
      { group: name },
    );
  }
  return group;
}

/** The steps of the branch a step runs in (itself included), or null outside any group. */
export function branchSteps(run: Run, step: string): readonly string[] | null {
  const place = run.step(step).branch;
  if (!place) return null;
  const group = groupNamed(run, place.group);
  return group.branches.find((branch) => branch.name === place.branch)?.steps ?? null;
}

function groupSteps(group: CompiledGroup): string[] {
  return group.branches.flatMap((branch) => branch.steps);
}

function branchFinished(run: Run, steps: readonly string[]): boolean {
  const last = steps[steps.length - 1] as string;
  return DONE_FORWARD.has(run.record(last).status);
}

/** Entering the fork: every branch's first step starts now, in this one transition. */
export function forkEntered(run: Run, id: string, state: ForkState): void {
  run.s.state = id;
  run.s.status = SagaStatus.running;
  // The step before the group is done (its timer was cancelled); only the branches are waited on.
  run.s.pending = {};
  // A branch whose steps are all not taken reaches the join at once; the join waits until every
  // branch has been started, or it would go on with the others not even sent.
  run.settling.add(state.group);
  for (const branch of state.branches) run.enterState(branch.start);
  run.settling.delete(state.group);
  joinIfDone(run, state.group);
}

/** A branch reached its end. */
export function joinReached(run: Run, state: JoinState): void {
  joinIfDone(run, state.group);
}

function joinIfDone(run: Run, name: string): void {
  const group = groupNamed(run, name);
  for (const branch of group.branches) {
    if (!branchFinished(run, branch.steps)) continue;
    for (const step of branch.steps) delete run.s.pending[step];
  }
  if (run.settling.has(name) || run.s.state !== groupStateIds(name).fork) return;
  if (!group.branches.every((branch) => branchFinished(run, branch.steps))) return;
  const join = run.state(groupStateIds(name).join) as JoinState;
  run.enterState(join.onSuccess);
}

/**
 * A branch step failed (for sure, or with an unknown outcome: `edge` is its failure or exhausted
 * edge). Stops the siblings and starts undoing every branch.
 */
export function branchFailed(run: Run, step: CompiledStep, edge: string): void {
  const group = groupNamed(run, (step.branch as { group: string }).group);
  const ids = groupStateIds(group.name);
  const fork = run.state(ids.fork) as ForkState;
  run.s.state = ids.unwind;
  run.s.status = SagaStatus.compensating;
  run.settling.add(group.name);
  group.branches.forEach((branch, index) => {
    if (branch.steps.includes(step.name)) return;
    const inFlight = branch.steps
      .map((name) => run.s.pending[name])
      .find((work): work is PendingWork => work !== undefined && !work.compensation);
    if (inFlight) {
      stopSibling(run, inFlight, step.branch?.branch ?? "");
      return;
    }
    if (branchFinished(run, branch.steps)) {
      run.enterState(fork.branches[index]?.unwind ?? ids.unwind);
    }
  });
  run.enterState(edge);
  run.settling.delete(group.name);
  unwindIfDone(run, group);
}

/**
 * A sibling step still waiting (for its reply, or to retry after a failed attempt): nothing more
 * of it is sent, and its outcome is unknown, so it takes its exhausted edge: it is compensated
 * itself when it can be (its participant refuses the action if it arrives after that).
 */
function stopSibling(run: Run, work: PendingWork, failedBranch: string): void {
  if (work.timerId) run.effects.push({ type: "cancel-timer", timerId: work.timerId });
  delete run.s.pending[work.step];
  const record = run.record(work.step);
  record.status = "failed";
  record.lastError = {
    code: "BRANCH_STOPPED",
    message: `stopped at attempt ${work.attempt} because branch "${failedBranch}" failed; its outcome is unknown`,
  };
  run.publish(LifecycleEvent.stepFailed, work.step, { stopped: true, attempt: work.attempt });
  run.aside(
    `${work.step} stopped at attempt ${work.attempt} (branch "${failedBranch}" failed); its outcome is unknown, so it is compensated`,
  );
  run.enterState(run.stepState(work.step).onExhausted);
}

/**
 * Entered from outside the group (a later step failed): every branch undoes its steps, from its
 * last one. Entered at the end of a branch's compensation chain: that branch is undone.
 */
export function unwindReached(run: Run, id: string, state: UnwindState): void {
  const group = groupNamed(run, state.group);
  if (run.s.state !== id) {
    run.s.state = id;
    run.s.status = SagaStatus.compensating;
    // What failed after the group is settled (its timer was cancelled): only the branches remain.
    run.s.pending = {};
    const fork = run.state(groupStateIds(group.name).fork) as ForkState;
    run.settling.add(group.name);
    for (const branch of fork.branches) run.enterState(branch.unwind);
    run.settling.delete(group.name);
  }
  unwindIfDone(run, group);
}

/** A branch compensation ran out of attempts: it waits for an operator, the others go on. */
export function branchCompensationExhausted(run: Run, step: CompiledStep): void {
  const work = run.s.pending[step.name];
  if (work) run.s.pending[step.name] = { ...work, timerId: "", waitingFor: "operator" };
  unwindIfDone(run, groupNamed(run, (step.branch as { group: string }).group));
}

function unwindIfDone(run: Run, group: CompiledGroup): void {
  // Work left by a branch whose chain ended (a compensation done, a failed step with nothing of
  // its own to undo) is no longer waited on; only compensations under way or parked remain.
  for (const step of groupSteps(group)) {
    if (run.s.pending[step] && run.record(step).status !== "compensating") {
      delete run.s.pending[step];
    }
  }
  if (run.settling.has(group.name) || run.s.state !== groupStateIds(group.name).unwind) return;
  const left = groupSteps(group).flatMap((step) => run.s.pending[step] ?? []);
  if (left.some((work) => work.waitingFor !== "operator")) return;
  if (left.length > 0) {
    run.enterState(FINAL_STATES.needsIntervention);
    return;
  }
  const unwind = run.state(groupStateIds(group.name).unwind) as UnwindState;
  const undone = groupSteps(group).some((step) => run.record(step).status === "compensated");
  run.enterState(
    unwind.onSuccess === FINAL_STATES.failed && undone
      ? FINAL_STATES.compensated
      : unwind.onSuccess,
  );
}

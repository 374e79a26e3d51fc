// Operator actions on a saga: retry, skip, compensate, resolve. Each is refused, with a code and
// a reason, when it makes no sense in the saga's state or when the saga no longer waits on what
// the operator saw; each is recorded with who and why.
import { compensationStateId, groupStateIds, stepStateId } from "@sagaworks/saga-definition";
import { completeWaitByHand, isWait, reopenWait } from "./await.ts";
import { EngineRefusalCode } from "./errors.ts";
import { deadlineTimerId, isTerminal } from "./keys.ts";
import {
  activeWork,
  LifecycleEvent,
  type OperatorExpectation,
  type PendingWork,
  type SagaEvent,
  type SagaSnapshot,
  SagaStatus,
  type TransitionResult,
} from "./model.ts";
import { isJsonObject } from "./replies.ts";
import type { Run } from "./run.ts";
import { childStillRunning } from "./sub-saga.ts";

export function applyOperatorAction(
  run: Run,
  event: Extract<SagaEvent, { type: "operator" }>,
): TransitionResult {
  const who = `${event.action} by ${event.actor}: ${event.reason}`;
  if (isTerminal(run.s.status)) {
    return run.refuse(
      EngineRefusalCode.sagaTerminal,
      `Cannot ${event.action}: the saga is ${run.s.status}.`,
    );
  }
  const parked = run.s.status === SagaStatus.needsIntervention;
  // An action is conditional on what the operator saw: the saga may have moved on since (a
  // reply, a timer, another operator), and an action meant for one step must not land on the
  // next one.
  const expected = event.expected;
  const all = Object.values(run.s.pending);
  // While a parallel group runs or unwinds, each branch has its own work: the action applies to
  // the step it names, and naming none of them is refused rather than guessed.
  if (all.length > 1 && expected && !Object.hasOwn(run.s.pending, expected.step)) {
    return run.refuse(
      EngineRefusalCode.stepNotPending,
      `Cannot ${event.action}: the saga waits on several steps of a parallel group and ${expected.step} is not one of them. Name one of: ${all.map((work) => describeOne(work)).join("; ")}.`,
    );
  }
  const pending =
    expected && Object.hasOwn(run.s.pending, expected.step)
      ? (run.s.pending[expected.step] as PendingWork)
      : run.pendingWork();
  if (!expected && event.action !== "resolve") {
    return run.refuse(
      EngineRefusalCode.expectationMissing,
      `Cannot ${event.action}: say which step, attempt and compensation flag you expect the saga to wait on (now: ${describeWork(run.s)}).`,
    );
  }
  if (expected && !sameWork(pending, expected)) {
    return run.refuse(
      EngineRefusalCode.sagaMovedOn,
      `Cannot ${event.action}: you expected the saga to wait on ${describeExpected(expected)}, but it now waits on ${describeWork(run.s)}. Look at the saga again and choose anew.`,
    );
  }
  switch (event.action) {
    case "retry": {
      if (!pending)
        return run.refuse(
          EngineRefusalCode.nothingToRetry,
          "Cannot retry: the saga waits on nothing.",
        );
      const running = childStillRunning(run, pending);
      if (running) return run.refuse(EngineRefusalCode.childSagaInFlight, running);
      run.cancelPendingTimer(pending.step);
      // Going forward again: the old failure no longer describes the saga. A compensation keeps
      // it, since compensations map from `$.failure`.
      if (!pending.compensation) run.s.failure = null;
      run.s.status = pending.compensation ? SagaStatus.compensating : SagaStatus.running;
      run.s.state = stateOfWork(run, pending);
      // A fresh retry budget: attempts so far belong to the old one.
      run.startAttempt(pending.step, pending.compensation, pending.attempt + 1, pending.attempt);
      if (parked) run.rearmDeadline();
      return run.done(
        `${who}; ${pending.compensation ? "compensation of " : ""}${pending.step} attempt ${pending.attempt + 1}`,
      );
    }
    case "skip": {
      if (!pending)
        return run.refuse(
          EngineRefusalCode.nothingToSkip,
          "Cannot skip: the saga waits on nothing.",
        );
      const step = run.step(pending.step);
      // Skipping the pivot would pass the point of no return without the pivot's effect (no
      // credit reserved, yet nothing before it may be compensated any more).
      if (!pending.compensation && step.role === "pivot") {
        return run.refuse(
          EngineRefusalCode.pivotNotSkippable,
          `Cannot skip ${step.name}: it is the pivot, and skipping it would pass the point of no return without its effect. Retry it (compensate only once you know it did not apply).`,
        );
      }
      // While a reply is awaited the step's outcome is not known: it may still apply, or fail,
      // after the operator declared it done.
      if (!parked && pending.waitingFor === "reply") {
        return run.refuse(
          EngineRefusalCode.stepInFlight,
          `Cannot skip ${pending.compensation ? "the compensation of " : ""}${step.name}: attempt ${pending.attempt} is awaiting its reply, so its outcome is not known yet. Wait for its reply or timeout, or retry it.`,
        );
      }
      if (!pending.compensation && !isJsonObject(event.output)) {
        return run.refuse(
          EngineRefusalCode.skipOutputInvalid,
          "Skip needs an output object: what later steps read from this step.",
        );
      }
      run.cancelPendingTimer(pending.step);
      if (pending.compensation) {
        // The operator undid the step by hand. The saga is back where that compensation runs
        // (for a branch step, its group's unwinding), so the chain goes on from there.
        run.s.status = SagaStatus.compensating;
        run.s.state = stateOfWork(run, pending);
        return run.compensationSucceeded(step, `${who}; compensation of ${step.name} marked done`);
      }
      const record = run.record(step.name);
      record.status = "skipped";
      record.output =
        step.action.kind === "http" ? { status: 200, body: event.output } : event.output;
      run.s.failure = null;
      run.s.status = SagaStatus.running;
      if (parked) run.rearmDeadline();
      run.publish(LifecycleEvent.stepCompleted, step.name, { skipped: true });
      run.enterState(run.stepState(step.name).onSuccess);
      return run.done(`${who}; ${step.name} skipped with the supplied output`);
    }
    case "compensate": {
      if (run.s.pivotPassed) {
        return run.refuse(
          EngineRefusalCode.pivotPassed,
          "Cannot compensate: the pivot has succeeded, so the remaining steps are retried until they succeed, never compensated.",
        );
      }
      if (run.s.status === SagaStatus.compensating) {
        return run.refuse(
          EngineRefusalCode.alreadyCompensating,
          "The saga is already compensating.",
        );
      }
      if (!pending || pending.compensation) {
        return run.refuse(
          EngineRefusalCode.nothingToCompensate,
          "Cannot compensate: no forward step is in progress.",
        );
      }
      const step = run.step(pending.step);
      // The pivot has no compensation: compensating past it while its command may still apply
      // would leave its effect in place for good (credit reserved for a rejected order). Only an
      // operator who checked its participant may say it did not apply.
      // A chain sent along with the step may hold the pivot: its outcome is as unknown.
      const chainedPivot = (pending.chain ?? []).find((name) => run.step(name).role === "pivot");
      const pivotUnknown = step.role === "pivot" || chainedPivot !== undefined;
      const pivot = chainedPivot === undefined ? step : run.step(chainedPivot);
      if (pivotUnknown && event.pivotOutcome !== "not-applied") {
        return run.refuse(
          EngineRefusalCode.pivotOutcomeUnknown,
          `Cannot compensate while the outcome of the pivot ${pivot.name}${pivot === step ? "" : ` (sent along with ${step.name})`} (attempt ${pending.attempt}) is unknown: its command may still apply at ${pivot.service}, and the pivot has no compensation to undo it. Retry it (a participant that already ran it answers with the stored reply), or make sure at ${pivot.service} that it did not and will not apply, then compensate stating pivotOutcome "not-applied".`,
        );
      }
      run.cancelPendingTimer(pending.step);
      run.s.failure = {
        step: pending.step,
        kind: "operator",
        code: "FORCED_COMPENSATION",
        message: event.reason,
      };
      run.record(pending.step).status = "failed";
      // A step with a compensation undoes itself first (its guard refuses a late action); one
      // without (the pivot) starts the chain at the steps before it. The exhausted edge of a
      // pivot parks the saga, which is not what an operator asking to compensate wants.
      // The chain's steps before its pivot may have run: they are undone too (see chain.ts).
      // With the operator's word, the pivot and the steps after it did not run.
      const members = [pending.step, ...(pending.chain ?? [])];
      const pivotAt = members.findIndex((name) => run.step(name).role === "pivot");
      const undoneUpTo = (pivotAt === -1 ? members : members.slice(0, pivotAt)).at(-1);
      const last = undoneUpTo === undefined ? step : run.chainMayHaveRun(step, pending, undoneUpTo);
      const state = run.stepState(last.name);
      run.enterFailureEdge(step, last.compensation ? state.onExhausted : state.onFailure);
      return run.done(
        `${who}; compensation forced at ${pending.step}${pivotUnknown ? " (the operator stated the pivot was not applied)" : ""}`,
      );
    }
    case "complete-wait": {
      if (!isWait(run, pending)) {
        return run.refuse(
          EngineRefusalCode.notWaiting,
          `Cannot complete a wait: the saga waits on ${describeWork(run.s)}, not on an outside event.`,
        );
      }
      return completeWaitByHand(run, pending, event, who);
    }
    case "reopen-wait": {
      if (!isWait(run, pending)) {
        return run.refuse(
          EngineRefusalCode.notWaiting,
          `Cannot re-open a wait: the saga waits on ${describeWork(run.s)}, not on an outside event.`,
        );
      }
      return reopenWait(run, pending, who);
    }
    case "resolve": {
      if (!parked) {
        return run.refuse(
          EngineRefusalCode.notParked,
          `Cannot resolve: only a saga that needs intervention can be marked resolved; this one is ${run.s.status}.`,
        );
      }
      run.s.status = SagaStatus.resolved;
      run.setPending(null);
      if (run.s.deadlineAt)
        run.effects.push({ type: "cancel-timer", timerId: deadlineTimerId(run.s.sagaId) });
      run.publish(LifecycleEvent.resolved, null, { actor: event.actor, reason: event.reason });
      run.effects.push({ type: "finish", status: SagaStatus.resolved });
      return run.done(`${who}; marked resolved`);
    }
  }
}

/** The state a saga is in while it waits on `work`: its group's, for a branch step. */
function stateOfWork(run: Run, work: PendingWork): string {
  const branch = run.step(work.step).branch;
  if (branch) {
    const ids = groupStateIds(branch.group);
    return work.compensation ? ids.unwind : ids.fork;
  }
  return work.compensation ? compensationStateId(work.step) : stepStateId(work.step);
}

function sameWork(pending: PendingWork | null, expected: OperatorExpectation): boolean {
  return (
    pending !== null &&
    pending.step === expected.step &&
    pending.attempt === expected.attempt &&
    pending.compensation === expected.compensation
  );
}

function describeExpected(expected: OperatorExpectation): string {
  return `${expected.compensation ? "the compensation of " : ""}${expected.step} attempt ${expected.attempt}`;
}

function describeOne(work: PendingWork): string {
  const waiting =
    work.waitingFor === "reply"
      ? "awaiting its reply"
      : work.waitingFor === "event"
        ? `waiting for ${work.wait?.events.join(" | ") ?? "its event"} on key "${work.wait?.key ?? ""}"`
        : work.waitingFor === "retry-timer"
          ? "waiting to retry"
          : "waiting for an operator";
  return `${describeExpected(work)} (${waiting})`;
}

/** What the saga does now, for a refusal: its status and the work it waits on. */
function describeWork(snapshot: SagaSnapshot): string {
  const all = Object.values(snapshot.pending);
  if (all.length === 0 || !activeWork(snapshot)) return `nothing (it is ${snapshot.status})`;
  return `${all.map(describeOne).join("; ")} (the saga is ${snapshot.status})`;
}

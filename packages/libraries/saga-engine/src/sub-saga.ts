// Sub-saga steps on both sides. The parent: starting the child and asking it to compensate are
// commands to the orchestrator's saga-commands queue (`sagas`), so the child's end comes back as
// a reply matched like any other (step, attempt, causation id); duplicates and late ends are
// ignored there. The child: a request to compensate, and the answer its end sends the parent.
import {
  type CompiledAction,
  type CompiledSaga,
  type CompiledStep,
  compensationStateId,
  evaluateMapping,
  groupStateIds,
  type JsonValue,
  SUB_SAGA_SERVICE,
  SubSagaCommand,
  SubSagaReply,
} from "@sagaworks/saga-definition";
import { actionKey, compensationKey, isTerminal } from "./keys.ts";
import {
  type Effect,
  LifecycleEvent,
  type PendingWork,
  type SagaEvent,
  SagaStatus,
  type TransitionResult,
} from "./model.ts";
import { messageOf, replyCode, toJson } from "./replies.ts";
import type { Run } from "./run.ts";

type SagaAction = Extract<CompiledAction, { kind: "saga" }>;

/**
 * The command of a sub-saga step: `StartSaga` for the action (the child's start is idempotent
 * per parent step and attempt), `CompensateSaga` for its compensation, or, once the child said
 * it completed past its pivot, the step's own compensating command.
 */
export function childCommand(
  run: Run,
  step: CompiledStep,
  action: SagaAction,
  compensation: boolean,
  attempt: number,
  messageId: string,
): Effect {
  const record = run.record(step.name);
  const own = step.compensation;
  if (compensation && record.childEnded === true && own && own.kind !== "child") {
    return {
      type: "send-command",
      service: own.service ?? step.service,
      command: own.command,
      payload: toJson(evaluateMapping(own.payload, run.mappingContext())),
      step: step.name,
      attempt,
      compensation: true,
      idempotencyKey: compensationKey(run.s.sagaId, step.name),
      messageId,
      actionApplied: true,
    };
  }
  // Start and compensate carry the same payload: the child is the one the step's last attempt
  // started, and a compensate that overtakes the start (or replaces a start that was lost) starts
  // it already compensated.
  return {
    type: "send-command",
    service: SUB_SAGA_SERVICE,
    command: compensation ? SubSagaCommand.compensate : SubSagaCommand.start,
    payload: {
      saga: { ...action.saga },
      input: toJson(evaluateMapping(action.input, run.mappingContext())),
      parent: {
        sagaId: run.s.sagaId,
        sagaName: run.s.sagaName,
        sagaVersion: run.s.sagaVersion,
        step: step.name,
        attempt: compensation ? record.attempts : attempt,
      },
    },
    step: step.name,
    attempt,
    compensation,
    idempotencyKey: compensation
      ? compensationKey(run.s.sagaId, step.name)
      : `${actionKey(run.s.sagaId, step.name)}:${attempt}`,
    messageId,
  };
}

/**
 * The answer to a sub-saga step's compensation. Asked to compensate, the child answers how it
 * ended: compensated or failed means it left nothing behind; completed means it passed its pivot
 * and cannot undo, so the step's own compensation runs next (a step that only asks the child has
 * none: the attempt failed, and is retried, then handed to an operator).
 */
export function childCompensationAnswered(
  run: Run,
  step: CompiledStep,
  event: Extract<SagaEvent, { type: "reply" }>,
): TransitionResult | undefined {
  const record = run.record(step.name);
  // Once the child has ended past its pivot, the step's own command is what is answered.
  if (record.childEnded === true) return undefined;
  if (event.name === SubSagaReply.compensated || event.name === SubSagaReply.failed) {
    run.cancelPendingTimer(step.name);
    return run.compensationSucceeded(
      step,
      `compensation of ${step.name} done: child saga ${childLabel(step)} ${event.name === SubSagaReply.failed ? "failed with nothing to undo" : "compensated"}`,
    );
  }
  if (event.name === SubSagaReply.completed && step.compensation?.kind !== "child") {
    run.cancelPendingTimer(step.name);
    record.childEnded = true;
    // What the child handed over is what the step's own compensation reads.
    record.output = event.payload;
    // A fresh attempt sends the step's own command; it shares the compensation's retry budget.
    run.startAttempt(
      step.name,
      true,
      event.attempt + 1,
      run.s.pending[step.name]?.attemptBase ?? 0,
    );
    return run.done(
      `child saga ${childLabel(step)} completed past its pivot: ${step.name} runs its own compensation`,
    );
  }
  // Only the child answers a request to compensate: any other reply (even one the step's own
  // compensating command would send, which was not sent yet) is a failed attempt.
  return run.attemptFailed(
    step,
    true,
    replyCode(event.name, event.payload),
    messageOf(event.payload, `unexpected answer ${event.name} to ${SubSagaCommand.compensate}`),
  );
}

/**
 * The child of a parked sub-saga step ended (an operator settled it, or it was slower than the
 * step's deadline). The parked parent applies no answer, an operator decides, but it records
 * that this attempt's child ended: an operator's retry may now start a new child without two
 * running at once. Undefined for anything else, which is ignored as a late reply.
 */
export function childEndedWhileParked(
  run: Run,
  event: Extract<SagaEvent, { type: "reply" }>,
): TransitionResult | undefined {
  if (run.s.status !== SagaStatus.needsIntervention || event.compensation) return undefined;
  const work = Object.hasOwn(run.s.pending, event.step) ? run.s.pending[event.step] : undefined;
  if (!work || work.compensation || work.attempt !== event.attempt) return undefined;
  if (work.commandId !== undefined && event.causationId !== work.commandId) return undefined;
  const step = run.step(event.step);
  if (step.action.kind !== "saga" || !isChildEnd(event.name)) return undefined;
  const record = run.record(step.name);
  if (record.childAnswer?.attempt === event.attempt) return undefined;
  record.childAnswer = { attempt: event.attempt, reply: event.name };
  return run.done(
    `child saga ${childLabel(step)} of ${step.name} attempt ${event.attempt} answered ${event.name} while the saga is parked: recorded; an operator may now retry ${step.name} (a new child), skip it or resolve the saga`,
  );
}

function isChildEnd(name: string): boolean {
  return (
    name === SubSagaReply.completed ||
    name === SubSagaReply.compensated ||
    name === SubSagaReply.failed
  );
}

/**
 * Why an operator's retry of `work` must wait, or undefined when it may go ahead. A retry of a
 * sub-saga step's action starts a new child (one child per attempt), so it waits while the child
 * of the current attempt may still run: its start was sent and the child has not answered. A
 * retry of the step's compensation asks the same child again, and may always go ahead.
 */
export function childStillRunning(run: Run, work: PendingWork): string | undefined {
  if (work.compensation) return undefined;
  const step = run.step(work.step);
  if (step.action.kind !== "saga") return undefined;
  if (run.record(step.name).childAnswer?.attempt === work.attempt) return undefined;
  // Every attempt's start is sent in the transition that records the attempt, so an attempt on
  // record is a start in flight, or a child that runs, until that child answers.
  return `Cannot retry ${step.name}: the child saga (${childLabel(step)}) that attempt ${work.attempt} started may still be running, and a retry would start a second child beside it. Act on that child saga instead (it is listed among this saga's child sagas, step ${step.name} attempt ${work.attempt}; its end answers this step): retry, compensate or resolve it there. Once it has answered, retry here if a new child is wanted.`;
}

function childLabel(step: CompiledStep): string {
  return step.action.kind === "saga"
    ? `${step.action.saga.name} v${step.action.saga.version}`
    : step.name;
}

/** Where undoing a whole completed saga starts: the undoing of its last entry that has one. */
function undoFromEnd(compiled: CompiledSaga): string | null {
  for (let index = compiled.steps.length - 1; index >= 0; index--) {
    const step = compiled.steps[index] as CompiledStep;
    if (step.branch) return groupStateIds(step.branch.group).unwind;
    if (step.compensation) return compensationStateId(step.name);
  }
  return null;
}

/** The parent asks this child to compensate (see the `parent-compensate` event). */
export function parentCompensate(
  run: Run,
  event: Extract<SagaEvent, { type: "parent-compensate" }>,
): TransitionResult {
  const parent = run.s.parent;
  if (!parent) return run.ignore("compensation request ignored: this saga has no parent");
  const answer = parent.answer;
  if (answer.compensation && answer.attempt > event.attempt) {
    return run.ignore(
      `compensation request attempt ${event.attempt} ignored: attempt ${answer.attempt} came earlier`,
    );
  }
  run.s.parent = {
    ...parent,
    answer: { attempt: event.attempt, compensation: true, commandId: event.commandId },
  };
  const status = run.s.status;
  if (status === SagaStatus.completed && run.compiled.pivot === null) {
    // Nothing in it is past a point of no return: undo it all, from its last step back.
    const from = undoFromEnd(run.compiled);
    run.s.failure = {
      step: run.compiled.steps.at(-1)?.name ?? "",
      kind: "parent",
      code: "SAGA_PARENT_COMPENSATING",
      message: `parent saga ${parent.sagaId} is compensating step ${parent.step}`,
    };
    if (from === null) run.finish("compensated");
    else run.enterState(from);
    return run.done(`parent ${parent.sagaId} asked to compensate: undoing the completed saga`);
  }
  if (isTerminal(status)) {
    answerParent(run);
    return run.done(`parent ${parent.sagaId} asked to compensate: the saga already ${status}`);
  }
  if (
    status === SagaStatus.compensating ||
    status === SagaStatus.needsIntervention ||
    run.s.pivotPassed
  ) {
    // Its end answers the request: compensating, it will end compensated; past its pivot, it
    // goes forward and the parent then runs its own compensation; parked, an operator decides.
    return run.done(
      `parent ${parent.sagaId} asked to compensate: the saga is ${run.s.pivotPassed && status === SagaStatus.running ? "past its pivot" : status}, its end will answer`,
    );
  }
  const pending = run.pendingWork();
  if (!pending) return run.done(`parent ${parent.sagaId} asked to compensate`);
  // As when the saga's own deadline passes: the step in flight has an unknown outcome, so it
  // takes its exhausted edge, which compensates the step itself where it has a compensation.
  run.cancelPendingTimer(pending.step);
  const step = run.step(pending.step);
  const message = `parent saga ${parent.sagaId} is compensating step ${parent.step}`;
  run.s.failure = { step: step.name, kind: "parent", code: "SAGA_PARENT_COMPENSATING", message };
  const record = run.record(step.name);
  record.status = "failed";
  record.lastError = { code: "SAGA_PARENT_COMPENSATING", message };
  run.publish(LifecycleEvent.stepFailed, step.name, { failure: run.failureJson() });
  run.enterFailureEdge(step, run.stepState(step.name).onExhausted);
  return run.done(`parent ${parent.sagaId} asked to compensate during ${step.name}`);
}

/**
 * Answers the parent's pending command with how this saga ended: called at every end, and when
 * asked to compensate after the end. A parked saga does not answer: the parent waits until its
 * step's deadline, or until an operator moves this one on.
 */
export function answerParent(run: Run): void {
  const parent = run.s.parent;
  if (!parent || !isTerminal(run.s.status)) return;
  let reply: string;
  let payload: JsonValue;
  if (run.s.status === SagaStatus.completed) {
    reply = SubSagaReply.completed;
    const output = run.compiled.output;
    payload = output ? toJson(evaluateMapping(output.mapping, run.mappingContext())) : {};
  } else {
    // Resolved by an operator counts as failed: the operator settled what it left behind.
    reply =
      run.s.status === SagaStatus.compensated ? SubSagaReply.compensated : SubSagaReply.failed;
    payload = {
      status: run.s.status,
      code: run.s.failure?.code ?? run.s.status,
      message: run.s.failure?.message ?? `child saga ${run.s.sagaId} ${run.s.status}`,
    };
  }
  run.effects.push({ type: "answer-parent", parent: { ...parent }, reply, payload });
}

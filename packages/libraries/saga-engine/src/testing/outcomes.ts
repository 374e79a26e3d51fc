// What can happen to the work a saga waits on: the one place that lists, by the kind of a
// compiled step (and for compensations), the outcomes the explorer tries. A new step kind (an
// `await` on an outside event, a group) adds its case to `forwardOutcomes`; a new kind of answer
// adds an outcome there. Each outcome plays itself on a fork of the saga and returns what went
// wrong while playing (a duplicate that was applied, a late answer that changed the saga).
import { type CompiledStep, type JsonValue, SubSagaReply } from "@sagaworks/saga-definition";
import type { PendingWork, SagaSnapshot, TransitionResult } from "../model.ts";
import type { SagaTest } from "./saga-test.ts";

/** Sample answers the explorer sends, by step then reply name (or HTTP status); default `{}`. */
export type SampleAnswers = Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;

/** One outcome of the pending work. */
export interface Outcome {
  /** How the path report names it: `OrderCreated`, `retries exhausted`, `timed out, then 200`. */
  label: string;
  /** Plays the outcome on `saga`; returns the problems seen while playing. */
  play(saga: SagaTest): string[];
}

/** Guard against a policy the explorer cannot see the end of. */
const MAX_ATTEMPTS_PLAYED = 1_000;

/** An outcome that is one answer, with nothing more to check while playing it. */
function answered(act: (saga: SagaTest) => unknown): (saga: SagaTest) => string[] {
  return (saga) => {
    act(saga);
    return [];
  };
}

function sample(samples: SampleAnswers, step: string, answer: string): JsonValue {
  return samples[step]?.[answer] ?? {};
}

/** Fails every attempt of the pending work (by letting it time out) until the saga moves on. */
function exhaust(saga: SagaTest, pending: PendingWork): string[] {
  const at = { compensation: pending.compensation };
  for (let played = 0; played < MAX_ATTEMPTS_PLAYED; played++) {
    const now = saga.waitingOn(pending.step);
    if (!now || now.compensation !== pending.compensation || now.waitingFor === "operator") {
      return [];
    }
    if (now.waitingFor === "retry-timer") saga.retry(pending.step, at);
    else saga.timeout(pending.step, at);
  }
  return [`${pending.step} was still retried after ${MAX_ATTEMPTS_PLAYED} failed attempts`];
}

/** An answer, then the same answer again: the second must change nothing. */
function withDuplicate(
  saga: SagaTest,
  step: string,
  answer: (attempt: number | undefined) => { applied: boolean },
): string[] {
  const attempt = saga.waitingOn(step)?.attempt;
  answer(undefined);
  const again = answer(attempt);
  return again.applied ? ["a duplicate answer was applied a second time"] : [];
}

/** A timeout of attempt 1, the retry answered, then attempt 1's answer arriving late. */
function timedOutThenAnswered(
  saga: SagaTest,
  pending: PendingWork,
  answer: (attempt: number | undefined) => { applied: boolean },
): string[] {
  const at = { compensation: pending.compensation };
  const first = pending.attempt;
  saga.timeout(pending.step, at);
  const now = saga.waitingOn(pending.step);
  if (now?.step !== pending.step || now.waitingFor !== "retry-timer") return [];
  saga.retry(pending.step, at);
  answer(undefined);
  const late = answer(first);
  return late.applied ? [`the late answer to attempt ${first} was applied`] : [];
}

function deadline(saga: SagaTest): Outcome[] {
  const armed = [...saga.timers.values()].some((timer) => timer.event.type === "saga-deadline");
  if (!armed) return [];
  return [
    {
      label: "the saga's deadline passed",
      play: (s) => {
        s.deadline();
        return [];
      },
    },
  ];
}

function retriesLeft(step: CompiledStep): boolean {
  return step.retry.maxAttempts === null || step.retry.maxAttempts >= 2;
}

/** Outcomes of a step's forward attempt, by the kind of its action. */
function forwardOutcomes(
  saga: SagaTest,
  step: CompiledStep,
  pending: PendingWork,
  samples: SampleAnswers,
): Outcome[] {
  const outcomes: Outcome[] = [];
  const exhausted: Outcome = { label: "retries exhausted", play: (s) => exhaust(s, pending) };
  const action = step.action;
  switch (action.kind) {
    case "command": {
      const reply = (s: SagaTest, name: string) => (attempt: number | undefined) =>
        s.reply(step.name, name, sample(samples, step.name, name), attempt ? { attempt } : {});
      for (const name of step.outcomes.success) {
        outcomes.push({ label: name, play: answered((s) => reply(s, name)(undefined)) });
      }
      const first = step.outcomes.success[0];
      if (first !== undefined) {
        outcomes.push({
          label: `${first}, then the same reply again`,
          play: (s) => withDuplicate(s, step.name, reply(s, first)),
        });
        if (retriesLeft(step)) {
          outcomes.push({
            label: `timed out, then ${first} (attempt ${pending.attempt}'s reply late)`,
            play: (s) => timedOutThenAnswered(s, pending, reply(s, first)),
          });
        }
      }
      for (const name of step.outcomes.businessFailure) {
        outcomes.push({
          label: `${name} (business failure)`,
          play: answered((s) => reply(s, name)(undefined)),
        });
      }
      for (const code of step.retry.nonRetryable) {
        outcomes.push({
          label: `failed ${code} (non-retryable)`,
          play: answered((s) => s.fail(step.name, code)),
        });
      }
      break;
    }
    case "http": {
      const respond = (s: SagaTest, status: string) => (attempt: number | undefined) =>
        s.respond(step.name, Number(status), sample(samples, step.name, status), attempt);
      for (const status of step.outcomes.success) {
        outcomes.push({
          label: `HTTP ${status}`,
          play: answered((s) => respond(s, status)(undefined)),
        });
      }
      const first = step.outcomes.success[0];
      if (first !== undefined) {
        outcomes.push({
          label: `HTTP ${first}, then the same response again`,
          play: (s) => withDuplicate(s, step.name, respond(s, first)),
        });
        if (retriesLeft(step)) {
          outcomes.push({
            label: `timed out, then HTTP ${first} (attempt ${pending.attempt}'s response late)`,
            play: (s) => timedOutThenAnswered(s, pending, respond(s, first)),
          });
        }
      }
      for (const status of step.outcomes.businessFailure) {
        outcomes.push({
          label: `HTTP ${status} (business failure)`,
          play: answered((s) => respond(s, status)(undefined)),
        });
      }
      if (
        !step.outcomes.success.includes("400") &&
        !step.outcomes.businessFailure.includes("400")
      ) {
        outcomes.push({
          label: "HTTP 400 (not mapped: non-retryable)",
          play: answered((s) => respond(s, "400")(undefined)),
        });
      }
      break;
    }
    case "await":
      outcomes.push(...awaitOutcomes(step, samples));
      break;
    case "saga":
      outcomes.push(...childOutcomes(step, samples));
      break;
    default: {
      // A step kind this list does not know yet: only what timers can do to it is tried, and the
      // report says so, so that a new kind is never explored silently half.
      const unknown: { kind: string } = action;
      outcomes.push({
        label: `(no outcomes listed for step kind "${unknown.kind}": add them in testing/outcomes.ts)`,
        play: () => [`the explorer lists no outcomes for step kind "${unknown.kind}"`],
      });
    }
  }
  // A wait and a child have one attempt: their deadline (in their own outcomes) ends them.
  if (step.retry.maxAttempts !== null && action.kind !== "await" && action.kind !== "saga") {
    outcomes.push(exhausted);
  }
  outcomes.push(...deadline(saga));
  return outcomes;
}

/**
 * Outcomes of a wait for an outside event: each event it classifies, the same event delivered
 * twice, a second event after the first outcome, the deadline passing, and an event after it.
 * Neither a duplicate nor a late event may change the saga.
 */
function awaitOutcomes(step: CompiledStep, samples: SampleAnswers): Outcome[] {
  const outcomes: Outcome[] = [];
  const send = (s: SagaTest, name: string, at: { eventId?: string; key?: string } = {}) =>
    s.event(step.name, name, sample(samples, step.name, name), at);
  const lateAfter = (s: SagaTest, name: string, key: string | undefined, what: string) => {
    const late = send(s, name, { eventId: `${step.name}:late`, key: key ?? "" });
    return late.applied ? [`${what} was applied`] : [];
  };
  for (const name of step.outcomes.success) {
    outcomes.push({ label: `event ${name}`, play: answered((s) => send(s, name)) });
  }
  const first = step.outcomes.success[0];
  if (first !== undefined) {
    outcomes.push({
      label: `event ${first}, then the same event again (duplicate)`,
      play: (s) => {
        const key = s.waitKey(step.name);
        send(s, first, { eventId: `${step.name}:once` });
        const again = send(s, first, { eventId: `${step.name}:once`, key: key ?? "" });
        return again.applied ? ["a duplicate event was applied a second time"] : [];
      },
    });
    outcomes.push({
      label: `event ${first}, then another event on the same key (late)`,
      play: (s) => {
        const key = s.waitKey(step.name);
        send(s, first);
        return lateAfter(s, step.outcomes.businessFailure[0] ?? first, key, "a late event");
      },
    });
    outcomes.push({
      label: `deadline passed, then ${first} (late)`,
      play: (s) => {
        const key = s.waitKey(step.name);
        s.timeout(step.name);
        return lateAfter(s, first, key, "an event after the deadline");
      },
    });
  }
  for (const name of step.outcomes.businessFailure) {
    outcomes.push({
      label: `event ${name} (business failure)`,
      play: answered((s) => send(s, name)),
    });
  }
  outcomes.push({
    label: "deadline passed (no event)",
    play: answered((s) => s.timeout(step.name)),
  });
  return outcomes;
}

/**
 * Outcomes of a child saga the step started: it completes (its output comes back), its end
 * arrives twice, it compensated or failed (a business failure), or the deadline passes while it
 * runs (parked for an operator, or slow) and its end arrives late.
 */
function childOutcomes(step: CompiledStep, samples: SampleAnswers): Outcome[] {
  const outcomes: Outcome[] = [];
  const end = (s: SagaTest, name: string) => (attempt: number | undefined) =>
    s.reply(step.name, name, sample(samples, step.name, name), attempt ? { attempt } : {});
  const [completed] = step.outcomes.success;
  if (completed !== undefined) {
    outcomes.push({
      label: `child ${completed}`,
      play: answered((s) => end(s, completed)(undefined)),
    });
    outcomes.push({
      label: `child ${completed}, then the same end again`,
      play: (s) => withDuplicate(s, step.name, end(s, completed)),
    });
    outcomes.push({
      label: `deadline passed, then child ${completed} (late)`,
      play: (s) => {
        const attempt = s.waitingOn(step.name)?.attempt;
        s.timeout(step.name);
        const before = s.snapshot && structuredClone(s.snapshot);
        const late = end(s, completed)(attempt);
        // A parked parent may record that the child ended (so an operator's retry can start a
        // new one), but the late end must not move the saga: no status, state or step change,
        // nothing sent.
        return late.applied && movedBy(before, late)
          ? ["a child's end after the deadline moved the saga"]
          : [];
      },
    });
  }
  for (const name of step.outcomes.businessFailure) {
    outcomes.push({
      label: `child ${name} (business failure)`,
      play: answered((s) => end(s, name)(undefined)),
    });
  }
  outcomes.push({
    label: "deadline passed, child still running",
    play: answered((s) => s.timeout(step.name)),
  });
  return outcomes;
}

/**
 * Outcomes of asking a child saga to compensate: it compensated, it had failed with nothing to
 * undo, or it completed past its pivot (then the step's own command runs, explored in turn).
 */
function childCompensationOutcomes(step: CompiledStep, pending: PendingWork): Outcome[] {
  const at = { compensation: true };
  const answer = (s: SagaTest, name: string) => (attempt: number | undefined) =>
    s.reply(step.name, name, {}, attempt ? { ...at, attempt } : at);
  const outcomes: Outcome[] = [
    {
      label: "child compensated",
      play: answered((s) => answer(s, SubSagaReply.compensated)(undefined)),
    },
    {
      label: "child compensated, then the same answer again",
      play: (s) => withDuplicate(s, step.name, answer(s, SubSagaReply.compensated)),
    },
    { label: "child had failed", play: answered((s) => answer(s, SubSagaReply.failed)(undefined)) },
  ];
  if (step.compensation?.kind !== "child") {
    outcomes.push({
      label: "child completed past its pivot",
      play: answered((s) => answer(s, SubSagaReply.completed)(undefined)),
    });
  }
  if (step.compensation?.retry.maxAttempts !== null) {
    outcomes.push({ label: "compensation retries exhausted", play: (s) => exhaust(s, pending) });
  }
  return outcomes;
}

/** Outcomes of a compensation's attempt. */
function compensationOutcomes(saga: SagaTest, step: CompiledStep, pending: PendingWork): Outcome[] {
  const compensation = step.compensation;
  if (!compensation) return [];
  // Until the child answered "completed", a sub-saga step's compensation is the request to it.
  if (step.action.kind === "saga" && saga.snapshot?.steps[step.name]?.childEnded !== true) {
    return childCompensationOutcomes(step, pending);
  }
  const outcomes: Outcome[] = [];
  const at = { compensation: true };
  const undone = compensation.success[0];
  if (undone !== undefined) {
    const reply = (s: SagaTest) => (attempt: number | undefined) =>
      s.reply(step.name, undone, {}, attempt ? { ...at, attempt } : at);
    outcomes.push({ label: `undone (${undone})`, play: answered((s) => reply(s)(undefined)) });
    outcomes.push({
      label: `undone (${undone}), then the same reply again`,
      play: (s) => withDuplicate(s, step.name, reply(s)),
    });
  }
  if (compensation.retry.maxAttempts !== null) {
    outcomes.push({
      label: "compensation retries exhausted",
      play: (s) => exhaust(s, pending),
    });
  }
  return outcomes;
}

/**
 * Every outcome the explorer tries for one piece of work `saga` waits on now (a parallel group
 * waits on several; the explorer tries each in turn, so it plays every order of their answers).
 */
export function outcomesOf(
  saga: SagaTest,
  pending: PendingWork,
  samples: SampleAnswers,
): Outcome[] {
  const step = saga.compiled.steps.find((candidate) => candidate.name === pending.step);
  // A branch compensation that ran out of attempts waits for an operator: nothing answers it.
  if (!step || pending.waitingFor === "operator") return [];
  return pending.compensation
    ? compensationOutcomes(saga, step, pending)
    : forwardOutcomes(saga, step, pending, samples);
}

/** Whether a transition moved the saga on: its status, state or a step's status, or effects. */
function movedBy(before: SagaSnapshot | null, result: TransitionResult): boolean {
  if (result.effects.length > 0 || before === null) return true;
  const after = result.snapshot;
  if (after.status !== before.status || after.state !== before.state) return true;
  return Object.entries(after.steps).some(
    ([name, record]) => before.steps[name]?.status !== record.status,
  );
}

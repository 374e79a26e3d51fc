// Answers to the pending work: replies, HTTP responses and failures, and step timeouts. Each
// checks that the answer is for exactly what the saga waits on, then maps it onto success,
// failure or a retriable failure of the attempt.
import type { SagaEvent, TransitionResult } from "./model.ts";
import { compensationDone, messageOf, replyCode } from "./replies.ts";
import type { Run } from "./run.ts";
import { childCompensationAnswered, childEndedWhileParked } from "./sub-saga.ts";

/** A participant's reply to the pending command or compensation. */
export function replyReceived(
  run: Run,
  event: Extract<SagaEvent, { type: "reply" }>,
): TransitionResult {
  const pending = run.awaits(event.step, event.attempt, event.compensation);
  if (!pending) {
    return (
      childEndedWhileParked(run, event) ??
      run.ignore(
        run.staleNote(`reply ${event.name}`, event.step, event.attempt, event.compensation),
      )
    );
  }
  // Step, attempt and compensation say which attempt a reply is for, but anyone can write them;
  // the causation id must name the very command that attempt sent.
  if (pending.commandId !== undefined && event.causationId !== pending.commandId) {
    return run.ignore(
      `reply ${event.name} ignored: it answers command ${event.causationId ?? "(none named)"}, not ${pending.commandId} that ${event.compensation ? "the compensation of " : ""}${event.step} attempt ${event.attempt} sent`,
    );
  }
  const step = run.step(event.step);
  if (event.compensation && step.action.kind === "saga") {
    const answered = childCompensationAnswered(run, step, event);
    if (answered) return answered;
  }
  if (event.compensation) {
    // Only a reply the compensating command declares completes it. Anything else (a
    // participant's `failed(code)`, an unexpected error turned into a reply) means the effect
    // was not undone: the attempt failed, and is retried, then handed to an operator.
    if (compensationDone(step, event.name)) {
      run.cancelPendingTimer(step.name);
      return run.compensationSucceeded(step, `compensation of ${step.name} done (${event.name})`);
    }
    return run.attemptFailed(
      step,
      true,
      replyCode(event.name, event.payload),
      messageOf(event.payload, `unexpected reply ${event.name}`),
    );
  }
  if (step.outcomes.success.includes(event.name)) {
    // A chain carried this answer: its participant sent the chain's next command itself.
    const [next, ...rest] = pending.chain ?? [];
    if (event.forwarded === true && next !== undefined) run.forwarded = { step: next, rest };
    return run.stepSucceeded(step, event.payload, `${step.name} succeeded (${event.name})`);
  }
  const code = replyCode(event.name, event.payload);
  if (step.outcomes.businessFailure.includes(event.name)) {
    return run.stepFailed(
      step,
      "business-failure",
      event.name,
      messageOf(event.payload, event.name),
    );
  }
  if (step.retry.nonRetryable.includes(event.name) || step.retry.nonRetryable.includes(code)) {
    return run.stepFailed(step, "non-retryable", code, messageOf(event.payload, event.name));
  }
  // The participant's own code and message, when the reply carries them (`failed(code, message)`).
  return run.attemptFailed(
    step,
    false,
    code,
    messageOf(event.payload, `unexpected reply ${event.name}`),
  );
}

/** The answer to the pending HTTP call, mapped by the step's outcomes. */
export function httpResponseReceived(
  run: Run,
  event: Extract<SagaEvent, { type: "http-response" }>,
): TransitionResult {
  const pending = run.awaits(event.step, event.attempt, false);
  if (!pending)
    return run.ignore(run.staleNote(`HTTP ${event.status}`, event.step, event.attempt, false));
  const step = run.step(event.step);
  const status = String(event.status);
  if (step.outcomes.success.includes(status)) {
    return run.stepSucceeded(
      step,
      { status: event.status, body: event.body },
      `${step.name} answered ${status}`,
    );
  }
  const message = messageOf(event.body, `HTTP ${status}`);
  if (step.outcomes.businessFailure.includes(status)) {
    return run.stepFailed(step, "business-failure", `HTTP_${status}`, message);
  }
  // A 4xx the definition does not map means the request itself is wrong: retrying cannot help.
  if (event.status >= 400 && event.status < 500) {
    return run.stepFailed(step, "non-retryable", `HTTP_${status}`, message);
  }
  return run.attemptFailed(step, false, `HTTP_${status}`, message);
}

/** An HTTP call that got no answer (network error, timeout): a retriable failure. */
export function httpCallFailed(
  run: Run,
  event: Extract<SagaEvent, { type: "http-failure" }>,
): TransitionResult {
  const pending = run.awaits(event.step, event.attempt, false);
  if (!pending)
    return run.ignore(
      run.staleNote(`HTTP failure ${event.code}`, event.step, event.attempt, false),
    );
  return run.attemptFailed(run.step(event.step), false, event.code, event.message);
}

/** The pending attempt's timeout fired: a retriable failure. */
export function stepTimedOut(
  run: Run,
  event: Extract<SagaEvent, { type: "step-timeout" }>,
): TransitionResult {
  const pending = run.awaits(event.step, event.attempt, event.compensation);
  if (!pending)
    return run.ignore(run.staleNote("timeout", event.step, event.attempt, event.compensation));
  // The timer fired, so it needs no cancelling.
  run.setPending({ ...pending, timerId: "" });
  const step = run.step(event.step);
  const timeoutMs = event.compensation ? (step.compensation?.timeoutMs ?? 0) : step.timeoutMs;
  return run.attemptFailed(
    step,
    event.compensation,
    "STEP_TIMEOUT",
    `no answer within ${timeoutMs} ms`,
  );
}

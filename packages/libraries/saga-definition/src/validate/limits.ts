// Checks of timeouts, retries, AWS message limits, step names and the pivot rules.
import { AWS_LIMITS, ENGINE_LIMITS } from "../aws-limits.ts";
import type { RetryPolicyDefinition, StepDefinition } from "../definition-schema.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { DiagnosticCode, formatJsonPath, type JsonPath } from "../errors.ts";
import { literalByteSize } from "../mapping.ts";
import { checkAwaitAfterPivot } from "./await.ts";
import { type AnalysisContext, stepPath } from "./context.ts";
import { lastLineIndex } from "./parallel.ts";

export function checkSagaTimeout(ctx: AnalysisContext) {
  const ms = ctx.sagaTimeoutMs;
  if (ms === undefined) return;
  if (ms < ENGINE_LIMITS.minTimeoutMs) {
    ctx.out.add(
      DiagnosticCode.timeoutTooShort,
      ["timeout"],
      `Raise the saga timeout to at least ${formatDuration(ENGINE_LIMITS.minTimeoutMs)}: timers are polled about once a second.`,
    );
  } else if (ms > ENGINE_LIMITS.maxSagaTimeoutMs) {
    ctx.out.add(
      DiagnosticCode.timeoutTooLong,
      ["timeout"],
      `Lower the saga timeout to at most ${formatDuration(ENGINE_LIMITS.maxSagaTimeoutMs)}; model longer processes as several sagas.`,
    );
  }
}

export function checkStepNames(ctx: AnalysisContext) {
  ctx.skeletons.forEach((step, index) => {
    if (!step?.name) return;
    const first = ctx.stepIndexByName.get(step.name);
    if (first === undefined) {
      ctx.stepIndexByName.set(step.name, index);
      return;
    }
    ctx.out.add(
      DiagnosticCode.stepNameDuplicate,
      [...stepPath(ctx, index), "name"],
      `Rename this step: "${step.name}" is already the name of the step at ${formatJsonPath(stepPath(ctx, first))}; step names must be unique, inside parallel branches too.`,
      { firstIndex: first },
    );
  });
}

export function checkPivotRules(ctx: AnalysisContext) {
  const pivots = ctx.skeletons.flatMap((step, index) => (step?.pivot === true ? [index] : []));
  const pivotIndex = pivots[0] ?? -1;
  for (const extra of pivots.slice(1)) {
    ctx.out.add(
      DiagnosticCode.pivotMultiple,
      [...stepPath(ctx, extra), "pivot"],
      `Remove "pivot" here: step ${pivotIndex} ("${ctx.skeletons[pivotIndex]?.name}") is already the pivot and a saga has at most one.`,
      { pivot: pivotIndex },
    );
  }
  const pivotName = pivotIndex >= 0 ? ctx.skeletons[pivotIndex]?.name : undefined;
  // Without a pivot the last step pivots, unless it sits in a branch: then every step is undoable.
  const lastIndex = lastLineIndex(ctx);
  ctx.skeletons.forEach((step, index) => {
    if (!step) return;
    const label = step.name ?? `#${index}`;
    if (step.readOnly === true && step.compensation) {
      ctx.out.add(
        DiagnosticCode.readOnlyWithCompensation,
        [...stepPath(ctx, index), "compensation"],
        `Step "${label}" is declared read-only, so it has nothing to undo: remove "compensation" or remove "readOnly".`,
      );
    }
    const beforePivot = pivotIndex >= 0 ? index < pivotIndex : index < lastIndex;
    if (beforePivot && step.readOnly !== true && !step.compensation) {
      const why =
        pivotIndex >= 0
          ? `it runs before the pivot "${pivotName}", so it must be undone if a later step fails`
          : 'the saga has no pivot, so every step but the last must be undone if a later step fails (or mark the go/no-go step with "pivot": true)';
      ctx.out.add(
        DiagnosticCode.pivotCompensationMissing,
        stepPath(ctx, index),
        `Add a "compensation" (command and payload) to step "${label}" or declare "readOnly": true: ${why}.`,
      );
    }
    if (index === pivotIndex && step.compensation) {
      ctx.out.add(
        DiagnosticCode.pivotHasCompensation,
        [...stepPath(ctx, index), "compensation"],
        `Remove the compensation of the pivot "${label}": once the pivot succeeds the saga only goes forward, so it is never compensated.`,
      );
    }
    const parsed = ctx.steps[index];
    if (parsed && pivotIndex >= 0 && index > pivotIndex) {
      checkRetriableStep(ctx, parsed, index, pivotName);
    }
  });
}

export function checkRetriableStep(
  ctx: AnalysisContext,
  step: StepDefinition,
  index: number,
  pivotName: string | undefined,
) {
  const after = `step "${step.name}" runs after the pivot "${pivotName}"`;
  if (step.kind === "await") {
    checkAwaitAfterPivot(ctx, step, index, after);
    return;
  }
  if (step.kind === "saga") {
    // A child that compensates or fails after the pivot parks the saga for an operator; a child
    // is never retried, so there is no retry policy to require.
    if (step.compensation !== undefined) {
      ctx.out.add(
        DiagnosticCode.retriableStepHasCompensation,
        [...stepPath(ctx, index), "compensation"],
        `Remove the compensation: ${after}, so it is never compensated. Move the pivot later if it must be undoable.`,
      );
    }
    return;
  }
  if (step.compensation) {
    ctx.out.add(
      DiagnosticCode.retriableStepHasCompensation,
      [...stepPath(ctx, index), "compensation"],
      `Remove the compensation: ${after}, so it is retried until it succeeds and never compensated. Move the pivot later if it must be undoable.`,
    );
  }
  const failures = step.outcomes.businessFailure ?? [];
  if (failures.length > 0) {
    ctx.out.add(
      DiagnosticCode.retriableStepHasBusinessFailure,
      [...stepPath(ctx, index), "outcomes", "businessFailure"],
      `Remove the business failures: ${after} and must eventually succeed. Make the service accept the command, or move the pivot after this step.`,
      { businessFailure: failures },
    );
  }
  if (step.retry?.maxAttempts !== "unlimited") {
    ctx.out.add(
      DiagnosticCode.retriableStepRetryBounded,
      step.retry ? [...stepPath(ctx, index), "retry", "maxAttempts"] : stepPath(ctx, index),
      `Give step "${step.name}" a retry policy with "maxAttempts": "unlimited": ${after}, so it must be retried until it succeeds.`,
    );
  }
  if ((step.retry?.nonRetryable ?? []).length > 0) {
    ctx.out.add(
      DiagnosticCode.retriableStepNonRetryable,
      [...stepPath(ctx, index), "retry", "nonRetryable"],
      `Empty "nonRetryable": ${after}; a failure that is never retried would leave the saga unable to finish.`,
    );
  }
}

export function checkStepTimeout(
  ctx: AnalysisContext,
  kind: "command" | "http",
  timeoutMs: number | undefined,
  path: JsonPath,
  explicit: boolean,
) {
  if (timeoutMs === undefined) return;
  if (timeoutMs < ENGINE_LIMITS.minTimeoutMs) {
    ctx.out.add(
      DiagnosticCode.timeoutTooShort,
      path,
      `Raise this timeout to at least ${formatDuration(ENGINE_LIMITS.minTimeoutMs)}: timers are polled about once a second.`,
    );
  }
  if (kind === "command" && timeoutMs > AWS_LIMITS.sqsMaxRetentionMs) {
    ctx.out.add(
      DiagnosticCode.stepTimeoutExceedsSqsRetention,
      path,
      `Lower this timeout to at most ${formatDuration(AWS_LIMITS.sqsMaxRetentionMs)}: SQS keeps a message at most 14 days, so a command waiting longer may be deleted unread.`,
      { limitMs: AWS_LIMITS.sqsMaxRetentionMs },
    );
  }
  if (kind === "http" && timeoutMs > ENGINE_LIMITS.maxHttpTimeoutMs) {
    ctx.out.add(
      DiagnosticCode.httpTimeoutTooLong,
      path,
      `Lower this timeout to at most ${formatDuration(ENGINE_LIMITS.maxHttpTimeoutMs)}: an HTTP call holds an orchestrator worker; use a command step for long work.`,
    );
  }
  if (explicit && ctx.sagaTimeoutMs !== undefined && timeoutMs > ctx.sagaTimeoutMs) {
    ctx.out.add(
      DiagnosticCode.stepTimeoutExceedsSagaTimeout,
      path,
      `Lower this timeout below the saga timeout (${formatDuration(ctx.sagaTimeoutMs)}) or raise the saga timeout: the saga would time out first.`,
    );
  }
}

export function checkRetry(
  ctx: AnalysisContext,
  retry: RetryPolicyDefinition | undefined,
  path: JsonPath,
) {
  if (!retry) return;
  const initial = retry.initialDelay ? parseDuration(retry.initialDelay) : 1_000;
  const max = retry.maxDelay ? parseDuration(retry.maxDelay) : 300_000;
  if (initial !== undefined && initial < ENGINE_LIMITS.minRetryDelayMs) {
    ctx.out.add(
      DiagnosticCode.retryDelayTooShort,
      [...path, "initialDelay"],
      `Raise "initialDelay" to at least ${formatDuration(ENGINE_LIMITS.minRetryDelayMs)} so retries do not hammer a failing service.`,
    );
  }
  if (initial !== undefined && max !== undefined && initial > max) {
    ctx.out.add(
      DiagnosticCode.retryDelayOrder,
      [...path, retry.initialDelay ? "initialDelay" : "maxDelay"],
      `Make "initialDelay" (${formatDuration(initial)}) at most "maxDelay" (${formatDuration(max)}). Delays above 15 min are fine: retry timers live in Postgres, not in SQS delays.`,
    );
  }
}

export function checkPayloadSize(ctx: AnalysisContext, payload: unknown, path: JsonPath) {
  const bytes = literalByteSize(payload) + AWS_LIMITS.envelopeReserveBytes;
  if (bytes > AWS_LIMITS.sqsMessageBytes) {
    ctx.out.add(
      DiagnosticCode.payloadExceedsSqsLimit,
      path,
      `Shrink this payload: its literal values plus the envelope take ${bytes} bytes and an SQS message holds at most ${AWS_LIMITS.sqsMessageBytes} (1 MiB). Store large data elsewhere and pass a reference.`,
      { bytes, limit: AWS_LIMITS.sqsMessageBytes },
    );
  } else if (bytes > AWS_LIMITS.snsMessageBytes) {
    ctx.out.add(
      DiagnosticCode.payloadExceedsSnsLimit,
      path,
      `Shrink this payload: its literal values plus the envelope take ${bytes} bytes, and lifecycle events that echo it go through SNS, which holds at most ${AWS_LIMITS.snsMessageBytes} bytes (256 KB).`,
      { bytes, limit: AWS_LIMITS.snsMessageBytes },
    );
  }
}

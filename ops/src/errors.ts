// Errors of the `ops` commands, declared in the one registry like every package's. Each has a
// stable code, a message that says what to do, and details; the CLI prints the message and exits
// 1 (a UsageError, which is not an error of the system but of the command line, exits 2 instead).
import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** The ops package's errors: the ci group's, the dead-letter commands' and the API client's. */
export const OpsErrors = defineErrors("@sagaworks/ops", {
  settingsMissing: { code: "CI_SETTINGS_MISSING" },
  commandFailed: { code: "CI_COMMAND_FAILED" },
  baseNotFound: { code: "CI_BASE_NOT_FOUND" },
  dockerfileMissing: { code: "CI_DOCKERFILE_MISSING" },
  ecrFailed: { code: "CI_ECR_FAILED" },
  pushFailed: { code: "CI_IMAGE_PUSH_FAILED" },
  valuesPathMissing: { code: "CI_VALUES_PATH_MISSING" },
  githubFailed: { code: "CI_GITHUB_FAILED" },
  /** `--execute` without DATABASE_URL: a replay or deletion is journaled, so it needs one. */
  journalMissing: { code: "DLQ_JOURNAL_MISSING" },
  /** `ops dlq history <run>` of a run the journal does not hold. */
  replayRunUnknown: { code: "DLQ_REPLAY_RUN_UNKNOWN" },
  /** A DLQ name that is not in the environment's topology. */
  queueUnknown: { code: "DLQ_QUEUE_UNKNOWN" },
  /** A DLQ (or its source queue) the topology names but the broker does not have. */
  queueMissing: { code: "DLQ_QUEUE_MISSING" },
  /** Another replay or deletion holds the DLQ's lock. */
  queueLocked: { code: "DLQ_QUEUE_LOCKED" },
  /** The orchestrator's API answered an ops request with an error status. */
  orchestratorFailed: { code: "OPS_ORCHESTRATOR_FAILED" },
});
/** Stable codes of the ops commands' errors. */
export const OpsErrorCode = OpsErrors.codes;
/** Stable codes of the ci commands' errors. */
export const CiErrorCode = OpsErrors.codes;
export type CiErrorCode = ErrorCodeOf<typeof OpsErrors>;
/** A failure of a ci command that an operator can act on (narrow with `OpsErrors.is`). */
export type CiError = ErrorOf<typeof OpsErrors>;

/**
 * A ci command's error. The code goes into the message too, so that a CI log shows it next to
 * the explanation.
 */
export function ciError(
  code: CiErrorCode,
  message: string,
  options: { details?: Record<string, unknown>; cause?: unknown } = {},
): CiError {
  return OpsErrors.create(code, `${message} [${code}]`, options.details ?? {}, {
    cause: options.cause,
  });
}

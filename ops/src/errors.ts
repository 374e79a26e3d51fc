// Errors of the `ops ci` commands. Each has a stable code, a message that says what to do, and
// details; the CLI prints the message and exits 1 (a UsageError exits 2 instead).

/** Every error code of the ci group, in one registry. */
export const CiErrorCode = {
  settingsMissing: "CI_SETTINGS_MISSING",
  commandFailed: "CI_COMMAND_FAILED",
  baseNotFound: "CI_BASE_NOT_FOUND",
  dockerfileMissing: "CI_DOCKERFILE_MISSING",
  ecrFailed: "CI_ECR_FAILED",
  pushFailed: "CI_IMAGE_PUSH_FAILED",
  valuesPathMissing: "CI_VALUES_PATH_MISSING",
  githubFailed: "CI_GITHUB_FAILED",
} as const;

/** One of the codes above. */
export type CiErrorCode = (typeof CiErrorCode)[keyof typeof CiErrorCode];

/** A failure of a ci command that an operator can act on. */
export class CiError extends Error {
  override readonly name = "CiError";
  readonly code: CiErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: CiErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    // The code goes into the message so that a CI log shows it next to the explanation.
    super(
      `${message} [${code}]`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.details = options.details ?? {};
  }
}

// The one error module of the saga-definition package.
//
// Problems found in a definition are *data* (`Diagnostic`), not exceptions: the validator reports
// every problem at once. `sagaDefinitionError` is thrown only by `compileSagaOrThrow`, carrying
// the diagnostics in `details`. Every code lives in `DiagnosticCode` so tools and docs can rely on
// it; codes never change meaning once shipped.

import { defineErrors, type ErrorCodeOf, type SagaworksError } from "@sagaworks/errors";

/** Stable codes of every problem the validator reports, grouped by the rule they enforce. */
export const DiagnosticCode = {
  // Structure (zod)
  fieldMissing: "SAGA_FIELD_MISSING",
  fieldUnknown: "SAGA_FIELD_UNKNOWN",
  fieldInvalid: "SAGA_FIELD_INVALID",
  nameInvalid: "SAGA_NAME_INVALID",
  durationInvalid: "SAGA_DURATION_INVALID",
  stepKindInvalid: "SAGA_STEP_KIND_INVALID",
  inputSchemaInvalid: "SAGA_INPUT_SCHEMA_INVALID",
  nestingTooDeep: "SAGA_NESTING_TOO_DEEP",
  keyReserved: "SAGA_KEY_RESERVED",
  // Steps and the pivot
  stepNameDuplicate: "SAGA_STEP_NAME_DUPLICATE",
  pivotMultiple: "SAGA_PIVOT_MULTIPLE",
  pivotCompensationMissing: "SAGA_PIVOT_COMPENSATION_MISSING",
  pivotHasCompensation: "SAGA_PIVOT_HAS_COMPENSATION",
  readOnlyWithCompensation: "SAGA_STEP_READ_ONLY_WITH_COMPENSATION",
  retriableStepHasCompensation: "SAGA_RETRIABLE_STEP_HAS_COMPENSATION",
  retriableStepHasBusinessFailure: "SAGA_RETRIABLE_STEP_HAS_BUSINESS_FAILURE",
  retriableStepRetryBounded: "SAGA_RETRIABLE_STEP_RETRY_BOUNDED",
  retriableStepNonRetryable: "SAGA_RETRIABLE_STEP_NON_RETRYABLE",
  // Retries and timeouts
  retryDelayOrder: "SAGA_RETRY_DELAY_ORDER",
  retryDelayTooShort: "SAGA_RETRY_DELAY_TOO_SHORT",
  retryFailureUnknown: "SAGA_RETRY_FAILURE_UNKNOWN",
  timeoutTooShort: "SAGA_TIMEOUT_TOO_SHORT",
  timeoutTooLong: "SAGA_TIMEOUT_TOO_LONG",
  stepTimeoutExceedsSagaTimeout: "SAGA_STEP_TIMEOUT_EXCEEDS_SAGA_TIMEOUT",
  stepTimeoutExceedsSqsRetention: "SAGA_STEP_TIMEOUT_EXCEEDS_SQS_RETENTION",
  httpTimeoutTooLong: "SAGA_HTTP_TIMEOUT_TOO_LONG",
  // AWS message limits
  payloadExceedsSqsLimit: "SAGA_PAYLOAD_EXCEEDS_SQS_LIMIT",
  payloadExceedsSnsLimit: "SAGA_PAYLOAD_EXCEEDS_SNS_LIMIT",
  // Contracts
  serviceUnknown: "SAGA_SERVICE_UNKNOWN",
  serviceTransportUnsupported: "SAGA_SERVICE_TRANSPORT_UNSUPPORTED",
  commandUnknown: "SAGA_COMMAND_UNKNOWN",
  replyUnknown: "SAGA_REPLY_UNKNOWN",
  compensationRepliesMissing: "SAGA_COMPENSATION_REPLIES_MISSING",
  outcomeUnclassified: "SAGA_OUTCOME_UNCLASSIFIED",
  outcomeClassifiedTwice: "SAGA_OUTCOME_CLASSIFIED_TWICE",
  httpEndpointUnknown: "SAGA_HTTP_ENDPOINT_UNKNOWN",
  httpStatusUnknown: "SAGA_HTTP_STATUS_UNKNOWN",
  payloadFieldMissing: "SAGA_PAYLOAD_FIELD_MISSING",
  payloadFieldUnknown: "SAGA_PAYLOAD_FIELD_UNKNOWN",
  payloadTypeMismatch: "SAGA_PAYLOAD_TYPE_MISMATCH",
  // Data mapping paths
  pathSyntax: "SAGA_PATH_SYNTAX",
  literalEscape: "SAGA_LITERAL_ESCAPE_MISSING",
  pathRootUnknown: "SAGA_PATH_ROOT_UNKNOWN",
  pathStepUnknown: "SAGA_PATH_STEP_UNKNOWN",
  pathStepNotEarlier: "SAGA_PATH_STEP_NOT_EARLIER",
  pathStepAccessor: "SAGA_PATH_STEP_ACCESSOR",
  pathNotInSchema: "SAGA_PATH_NOT_IN_SCHEMA",
  pathFailureOutsideCompensation: "SAGA_PATH_FAILURE_OUTSIDE_COMPENSATION",
  pathStepMayNotRun: "SAGA_PATH_STEP_MAY_NOT_RUN",
  // Conditions (`when`)
  conditionInvalid: "SAGA_CONDITION_INVALID",
  conditionTypeMismatch: "SAGA_CONDITION_TYPE_MISMATCH",
  conditionNeverMatches: "SAGA_CONDITION_LITERAL_IMPOSSIBLE",
  conditionUnguarded: "SAGA_CONDITION_PATH_UNGUARDED",
  conditionStepNotEarlier: "SAGA_CONDITION_STEP_NOT_EARLIER",
  pivotConditional: "SAGA_PIVOT_CONDITIONAL",
  // Waiting for an outside event (`await`)
  eventUnknown: "SAGA_EVENT_UNKNOWN",
  eventCorrelationFieldUnknown: "SAGA_EVENT_CORRELATION_FIELD_UNKNOWN",
  awaitDeadlineMissing: "SAGA_AWAIT_DEADLINE_MISSING",
  awaitDeadlineExceedsSagaTimeout: "SAGA_AWAIT_DEADLINE_EXCEEDS_SAGA_TIMEOUT",
  awaitDeadlineCompensatesAfterPivot: "SAGA_AWAIT_DEADLINE_COMPENSATES_AFTER_PIVOT",
  awaitCorrelationInvalid: "SAGA_AWAIT_CORRELATION_INVALID",
  awaitCorrelationTypeMismatch: "SAGA_AWAIT_CORRELATION_TYPE_MISMATCH",
  awaitCorrelationOptional: "SAGA_AWAIT_CORRELATION_OPTIONAL",
  // Parallel groups
  parallelBranchesTooFew: "SAGA_PARALLEL_BRANCHES_TOO_FEW",
  parallelBranchEmpty: "SAGA_PARALLEL_BRANCH_EMPTY",
  parallelBranchNameDuplicate: "SAGA_PARALLEL_BRANCH_NAME_DUPLICATE",
  parallelNested: "SAGA_PARALLEL_NESTED",
  pivotInBranch: "SAGA_PIVOT_IN_BRANCH",
  pathSiblingBranch: "SAGA_PATH_SIBLING_BRANCH",
  awaitInBranch: "SAGA_AWAIT_IN_BRANCH",
  // Sub-sagas (`kind: "saga"`) and the saga's `output`
  subSagaUnknown: "SAGA_SUB_SAGA_UNKNOWN",
  subSagaVersionUnknown: "SAGA_SUB_SAGA_VERSION_UNKNOWN",
  subSagaCycle: "SAGA_SUB_SAGA_CYCLE",
  subSagaNestingTooDeep: "SAGA_SUB_SAGA_NESTING_TOO_DEEP",
  subSagaCompensateByChildWithPivot: "SAGA_SUB_SAGA_COMPENSATE_BY_CHILD_WITH_PIVOT",
  subSagaOutputUndeclared: "SAGA_SUB_SAGA_OUTPUT_UNDECLARED",
  subSagaDeadlineExceedsSagaTimeout: "SAGA_SUB_SAGA_DEADLINE_EXCEEDS_SAGA_TIMEOUT",
} as const;
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

/** A JSON path inside a definition document: object keys and array indexes from the root. */
export type JsonPath = ReadonlyArray<string | number>;

/** Where a JSON path sits in the source text (1-based), as given by the caller's `locate`. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** One problem in a definition: stable code, what to do, and where (path, and line/col if known). */
export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  path: JsonPath;
  /** The path written as `$.steps[2].compensation.payload.orderId`. */
  pointer: string;
  file?: string;
  line?: number;
  column?: number;
  details?: Record<string, unknown>;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Writes a JSON path as `$.a.b[0]["odd key"]`, the form every message and tool uses. */
export function formatJsonPath(path: JsonPath): string {
  let out = "$";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The errors this package throws. */
export const SagaDefinitionErrors = defineErrors("@sagaworks/saga-definition", {
  definitionInvalid: { code: "SAGA_DEFINITION_INVALID" },
  /** A folder of definitions that cannot all be loaded: none in it, or any problem in any file. */
  definitionsInvalid: { code: "SAGA_DEFINITIONS_INVALID" },
});
/** Stable codes of the errors this package throws. */
export const SagaDefinitionErrorCode = SagaDefinitionErrors.codes;
export type SagaDefinitionErrorCode = ErrorCodeOf<typeof SagaDefinitionErrors>;

/** Thrown by `compileSagaOrThrow`; `details.diagnostics` lists every problem found. */
export type SagaDefinitionError = SagaworksError<
  typeof SagaDefinitionErrorCode.definitionInvalid,
  { diagnostics: Diagnostic[] }
>;

/** The error for a definition with `diagnostics`; its message names the first problem. */
export function sagaDefinitionError(
  diagnostics: Diagnostic[],
  options?: { cause?: unknown },
): SagaDefinitionError {
  const first = diagnostics[0];
  const summary = first ? ` First: ${first.pointer} ${first.code}: ${first.message}` : "";
  return SagaDefinitionErrors.create(
    SagaDefinitionErrorCode.definitionInvalid,
    `Saga definition has ${diagnostics.length} problem(s); fix them and compile again (run \`node scripts/bootstrap.mjs saga validate\` to list them all).${summary}`,
    { diagnostics },
    options,
  );
}

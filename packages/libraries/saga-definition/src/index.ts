export { correlationText } from "./await/describe-await.ts";
export { AWS_LIMITS, ENGINE_LIMITS } from "./aws-limits.ts";
export {
  type CompileOptions,
  type CompileResult,
  compileSaga,
  compileSagaOrThrow,
  DEFAULT_COMPENSATION_RETRY,
  DEFAULT_STEP_RETRY,
  validateSaga,
} from "./compile.ts";
export {
  COMPILED_SAGA_FORMAT,
  type CompiledAction,
  type CompiledCompensation,
  type CompiledGroup,
  type CompiledRetryPolicy,
  type CompiledSaga,
  type CompiledState,
  type CompiledStep,
  compensationStateId,
  FINAL_STATES,
  type FinalState,
  groupStateIds,
  type StepRole,
  stateTargets,
  stepStateId,
} from "./compiled-saga.ts";
export {
  type ComparedValue,
  type CompiledCondition,
  type ConditionVerdict,
  compileCondition,
  describeCompared,
  describeCondition,
  evaluateCondition,
} from "./condition.ts";
export { canonicalJson, contentHash } from "./content-hash.ts";
export {
  type CommandContract,
  type ContractRegistry,
  contractJsonSchema,
  type HttpEndpointContract,
  type HttpResponseContract,
  type JsonSchema,
  type ServiceContract,
} from "./contract-registry.ts";
export {
  AWAIT_DEADLINE_ACTIONS,
  type AwaitStepDefinition,
  COMPARISONS,
  type CommandStepDefinition,
  type Comparison,
  type CompensationDefinition,
  type ConditionDefinition,
  type ConditionLiteral,
  conditionSchema,
  type HttpStepDefinition,
  MAX_STEPS,
  type ParallelGroupDefinition,
  type RetryPolicyDefinition,
  type SagaDefinition,
  type SagaItemDefinition,
  type SagaStepDefinition,
  type StepDefinition,
  sagaDefinitionJsonSchema,
  sagaDefinitionSchema,
} from "./definition-schema.ts";
export { renderMermaid } from "./diagram.ts";
export {
  describeChange,
  diffSagas,
  inFlightContractChanges,
  type SagaChange,
  type SagaChangeSeverity,
  SagaDiffCode,
} from "./diff/saga-diff.ts";
export { type StepAspect, StepAspectKind, stepAspects } from "./diff/step-aspects.ts";
export { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.ts";
export {
  type Diagnostic,
  DiagnosticCode,
  formatJsonPath,
  type JsonPath,
  type SagaDefinitionError,
  SagaDefinitionErrorCode,
  SagaDefinitionErrors,
  type SourcePosition,
  sagaDefinitionError,
} from "./errors.ts";
export {
  compileMapping,
  evaluateMapping,
  type JsonValue,
  type MappingExpr,
  parseMappingString,
} from "./mapping.ts";
export {
  buildMappingContext,
  FAILURE_KINDS,
  FAILURE_SCHEMA,
  type FailureInfo,
  type FailureKind,
  MAPPING_CONTEXT_ROOTS,
  type MappingContext,
  type MappingContextSource,
} from "./mapping-context.ts";
export {
  SUB_SAGA_SERVICE,
  SubSagaCommand,
  SubSagaReply,
} from "./sub-saga/protocol.ts";
export {
  catalogOf,
  childNames,
  MAX_SUB_SAGA_NESTING,
  type SagaCatalogEntry,
  type SagaLookup,
} from "./sub-saga/saga-catalog.ts";
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_COMPENSATION_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
} from "./validate.ts";

export {
  type CodeOf,
  declaredError,
  defineErrors,
  type ErrorCodeOf,
  type ErrorDetails,
  type ErrorOf,
  type ErrorRegistry,
  type ErrorSpec,
  SagaworksError,
  type SagaworksErrorOptions,
  type TemplateDetails,
} from "./registry.ts";

export {
  type CodeOf,
  declaredError,
  defineErrors,
  type ErrorDetails,
  type ErrorRegistry,
  type ErrorSpec,
  SagaworksError,
  type SagaworksErrorOptions,
  type TemplateDetails,
} from "./registry.ts";

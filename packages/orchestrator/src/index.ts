export { type ApiDeps, buildApi, type OrchestratorApi } from "./api/app.ts";
export {
  defaultInspectorDir,
  type InspectorRoutesOptions,
  inspectorRoutes,
} from "./api/inspector-routes.ts";
export { loadDefinitions } from "./definitions.ts";
export { OrchestratorError, OrchestratorErrorCode } from "./errors.ts";
export { orchestratorMigrations } from "./migrations/index.ts";
export {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorDeps,
  participantsOf,
} from "./orchestrator.ts";
export {
  type ApplyOptions,
  type ApplyOutcome,
  type RuntimeDeps,
  type RuntimeMetrics,
  SagaRuntime,
} from "./saga-runtime.ts";
export { DefinitionRegistry } from "./store/definition-registry.ts";
export type { OutboxMessage, Routing, SagaOutboxRow } from "./store/effects.ts";
export { HttpInvoker } from "./worker/http-invoker.ts";
export { createReplyConsumer, handleReply } from "./worker/reply-consumer.ts";
export { TimerPoller } from "./worker/timer-poller.ts";

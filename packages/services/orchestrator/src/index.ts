// The API's saga statuses, for its clients (ops checks `--status` against them).
/** Failure code a saga carries when one of its messages could not be sent. */
export { OUTBOX_UNDELIVERABLE, SAGA_STATUSES } from "@sagaworks/saga-engine";
export { apiDocument } from "./api/api-document.ts";
export { type ApiDeps, buildApi, type OrchestratorApi } from "./api/app.ts";
export { type DeadLetterRoutesOptions, deadLetterRoutes } from "./api/dead-letter-routes.ts";
export {
  defaultInspectorDir,
  type InspectorPageOptions,
  type InspectorRoutesOptions,
  inspectorPage,
  inspectorRoutes,
} from "./api/inspector-routes.ts";
export type { DefinitionPort, InspectorPort, MetricsPort, SagaPort } from "./api/ports.ts";
export type { Routing } from "./commit-plan/effects.ts";
export { loadDefinitions } from "./definitions.ts";
export { type OrchestratorError, OrchestratorErrorCode, OrchestratorErrors } from "./errors.ts";
/** Kept for callers of the former name until 0.3.0; see legacy/runtime-metrics.ts. */
export type { RuntimeMetrics } from "./legacy/runtime-metrics.ts";
export { OrchestratorMetrics } from "./metrics.ts";
export { orchestratorMigrations } from "./migrations/index.ts";
export {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorDeps,
  type OrchestratorOptions,
  type OrchestratorRetention,
  participantsOf,
  type ResolvedOrchestratorOptions,
  resolveOrchestratorOptions,
} from "./orchestrator.ts";
export * from "./retention/index.ts";
export {
  type ApplyOptions,
  type ApplyOutcome,
  JUNK_REPLIES_IN_HISTORY,
  type RuntimeDeps,
  type SagaDetail,
  SagaRuntime,
} from "./saga-runtime.ts";
export { DefinitionRegistry } from "./store/definition-registry.ts";
export type { HistoryEntry } from "./store/history.ts";
export type { SagaInstance, SagaListQuery, SagaSummary } from "./store/instances.ts";
export type { OutboxMessage, ParkedMessage, SagaOutboxRow } from "./store/outbox.ts";
export { SagaOutboxStore } from "./store/outbox.ts";
export { HttpInvoker } from "./worker/http-invoker.ts";
export { createReplyConsumer, handleReply } from "./worker/reply-consumer.ts";
export { TimerPoller } from "./worker/timer-poller.ts";

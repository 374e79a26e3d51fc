// The runtime's sagas mapped to the one shape in which the API shows them (declared in
// @sagaworks/orchestrator-api): camelCase, the same fields in the list and in the detail.
import type { SagaDetailView, SagaSummaryView } from "@sagaworks/orchestrator-api";
import type { SagaDetail } from "../saga-runtime.ts";
import type { SagaSummary } from "../store/instances.ts";

/** A summary as the API shows it. */
export function summaryView(saga: SagaSummary): SagaSummaryView {
  return {
    id: saga.id,
    name: saga.name,
    version: saga.version,
    status: saga.status,
    state: saga.state,
    createdAt: saga.createdAt.toISOString(),
    updatedAt: saga.updatedAt.toISOString(),
  };
}

/** A saga's detail as the API shows it. */
export function detailView(detail: SagaDetail): SagaDetailView {
  const { instance } = detail;
  return {
    ...summaryView(instance),
    hash: instance.hash,
    revision: instance.revision,
    junkReplies: instance.junkReplies,
    snapshot: instance.snapshot,
    history: detail.history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    parkedMessages: detail.parkedMessages.map((message) => ({
      ...message,
      parkedAt: message.parkedAt.toISOString(),
    })),
    parent: detail.links.parent,
    children: detail.links.children,
  };
}

// Compatibility with the name the runtime's counters had before they became the orchestrator's.
//
// Remove in 0.3.0: callers have had OrchestratorMetrics, the same type, since 0.1.x.
import type { OrchestratorMetrics } from "../metrics.ts";

/** Former name of {@link OrchestratorMetrics}; use that. */
export type RuntimeMetrics = OrchestratorMetrics;

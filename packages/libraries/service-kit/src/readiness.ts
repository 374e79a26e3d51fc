import type { LostDependency } from "@sagaworks/platform";
import type { Readiness } from "./service-app.ts";

/** What readiness needs of topology's queue probe (its shape, so service-kit needs no topology). */
export interface QueueReachability {
  readonly reachable: boolean;
  readonly lost: LostDependency | undefined;
}

/**
 * Readiness of a process that has `started` its workers and needs the queues its probe checks:
 * false while starting or stopping, the broker it lost (and why) while the queues do not
 * answer, true otherwise.
 */
export function queueReadiness(started: boolean, probe: QueueReachability): Readiness {
  if (!started) return false;
  if (probe.reachable) return true;
  // Before the probe's first answer there is nothing to name yet: still starting.
  return probe.lost ?? false;
}

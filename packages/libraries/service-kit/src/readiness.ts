import type { QueueProbe } from "@sagaworks/topology";
import type { Readiness } from "./service-app.ts";

/**
 * Readiness of a process that has `started` its workers and needs the queues its probe checks:
 * false while starting or stopping, the broker it lost (and why) while the queues do not
 * answer, true otherwise.
 */
export function queueReadiness(
  started: boolean,
  probe: Pick<QueueProbe, "reachable" | "lost">,
): Readiness {
  if (!started) return false;
  if (probe.reachable) return true;
  // Before the probe's first answer there is nothing to name yet: still starting.
  return probe.lost ?? false;
}

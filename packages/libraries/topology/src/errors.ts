import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** The topology package's errors. */
export const TopologyErrors = defineErrors("@sagaworks/topology", {
  invalid: { code: "TOPOLOGY_INVALID" },
  applyFailed: { code: "TOPOLOGY_APPLY_FAILED" },
  missing: { code: "TOPOLOGY_MISSING" },
  /** The broker did not answer a lookup (down, 5xx, throttling): nothing says a queue is missing. */
  lookupFailed: { code: "TOPOLOGY_LOOKUP_FAILED" },
});
/** Stable codes of the topology package's errors. */
export const TopologyErrorCode = TopologyErrors.codes;
export type TopologyErrorCode = ErrorCodeOf<typeof TopologyErrors>;
/** A topology error (narrow with `TopologyErrors.is`). */
export type TopologyError = ErrorOf<typeof TopologyErrors>;

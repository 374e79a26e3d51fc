import { defineErrors, type SagaworksError } from "@sagaworks/errors";

/** The topology package's errors. */
export const TopologyErrors = defineErrors("@sagaworks/topology", {
  invalid: { code: "TOPOLOGY_INVALID" },
  applyFailed: { code: "TOPOLOGY_APPLY_FAILED" },
  missing: { code: "TOPOLOGY_MISSING" },
});
/** Stable codes of the topology package's errors. */
export const TopologyErrorCode = TopologyErrors.codes;
export type TopologyErrorCode = (typeof TopologyErrorCode)[keyof typeof TopologyErrorCode];
/** A topology error (narrow with `TopologyErrors.is`). */
export type TopologyError = SagaworksError<TopologyErrorCode>;

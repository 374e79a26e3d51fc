import { defineErrors, type ErrorCodeOf } from "@sagaworks/errors";

/** The system runner's errors; none reaches HTTP (they stop a stack, a seed or a test system). */
export const SystemErrors = defineErrors("@sagaworks/system", {
  /** A service answered a seeding request (customer, account) with neither created nor exists. */
  seedFailed: { code: "SYSTEM_SEED_FAILED" },
  /** A process of the stack exited before its `/ready` answered. */
  processExited: { code: "SYSTEM_PROCESS_EXITED" },
  /** `topology apply` ended with a non-zero exit code, so no service was started. */
  topologyApplyFailed: { code: "SYSTEM_TOPOLOGY_APPLY_FAILED" },
});
/** Stable codes of the system runner's errors. */
export const SystemErrorCode = SystemErrors.codes;
export type SystemErrorCode = ErrorCodeOf<typeof SystemErrors>;

import { defineErrors, type ErrorCodeOf } from "@sagaworks/errors";

/** The demo scenario's errors: each ends the run with exit code 1. */
export const DemoErrors = defineErrors("@sagaworks/demo", {
  /** A service answered one of the scenario's requests with an error status. */
  requestFailed: { code: "DEMO_REQUEST_FAILED" },
  /** Sagas were still running when DEMO_TIMEOUT_MS ran out. */
  sagasTimedOut: { code: "DEMO_SAGAS_TIMED_OUT" },
});
/** Stable codes of the demo scenario's errors. */
export const DemoErrorCode = DemoErrors.codes;
export type DemoErrorCode = ErrorCodeOf<typeof DemoErrors>;

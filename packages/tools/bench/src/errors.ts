// The one error module of the benchmark: every failure that ends a run names what failed and
// what to do, under a stable code.
import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** The errors the benchmark throws; none reaches HTTP (each ends the run). */
export const BenchErrors = defineErrors("@sagaworks/bench", {
  /** A command line or environment variable the run needs is missing or wrong. */
  usage: { code: "BENCH_USAGE" },
  /** A process of the measured system could not start, ended early or never said it was ready. */
  processFailed: { code: "BENCH_PROCESS_FAILED" },
  /** A service of the measured system refused a request the run makes (seeding, starting). */
  requestRefused: { code: "BENCH_REQUEST_REFUSED" },
  /** The database could not be prefilled with the rows the settings ask for. */
  prefillFailed: { code: "BENCH_PREFILL_FAILED" },
  /** A system failed its warm-up, so its numbers would not mean anything. */
  warmUpFailed: { code: "BENCH_WARM_UP_FAILED" },
  /** The Postgres at DATABASE_URL could not be reached. */
  databaseUnreachable: { code: "BENCH_DATABASE_UNREACHABLE" },
  /** A local server or queue the run sets up for itself did not come up. */
  setupFailed: { code: "BENCH_SETUP_FAILED" },
});
/** Stable codes of the benchmark's errors. */
export const BenchErrorCode = BenchErrors.codes;
export type BenchErrorCode = ErrorCodeOf<typeof BenchErrors>;
/** A benchmark error (narrow with `BenchErrors.is`). */
export type BenchError = ErrorOf<typeof BenchErrors>;

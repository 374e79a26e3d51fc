// `exploreSaga(compiled, { input })`: runs a saga through every combination of the outcomes of
// every step (testing/outcomes.ts lists them: each success and business failure, non-retryable
// failures, retries exhausted, a timeout answered late, a duplicate answer, the saga's deadline),
// depth first and deterministically, and reports every path that breaks the rules of a saga:
// - it ends anywhere but completed, compensated or needs-intervention (`failed` is allowed only
//   when nothing that took effect is left undone), or it stops while still running;
// - it compensates a step that never ran;
// - it compensates past the pivot (once the pivot succeeded, or the pivot or a later step);
// - it ends compensated (or failed) with a compensatable step still in effect;
// - a duplicate or late answer is applied.
// Bounded: states already explored are not explored again (the rest of their paths was checked
// the first time), and `maxPaths` caps the run; the report says when it was cut.
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import { canonicalJson } from "@sagaworks/saga-definition";
import type { SagaSnapshot } from "../model.ts";
import { outcomesOf, type SampleAnswers } from "./outcomes.ts";
import { allPendingOf, type SagaTest, sagaTest } from "./saga-test.ts";

/** Options of {@link exploreSaga}. */
export interface ExploreOptions {
  /** The input every path starts with (valid for the saga's input schema). */
  input: JsonValue;
  /** Payloads of the replies (and bodies of HTTP answers) by step, then reply name or status. */
  answers?: SampleAnswers;
  /** Most paths played before the run is cut (default 20,000). */
  maxPaths?: number;
}

/** One path through the saga. */
export interface ExploredPath {
  /** The outcome chosen at each point, as `step: outcome`. */
  choices: string[];
  /** What ran: steps, `compensate:<step>`, and the end (see `SagaTest.path`). */
  path: string[];
  /** Where the saga ended (or `running` / `compensating` when it stopped there). */
  status: string;
  problems: string[];
}

/** What {@link exploreSaga} found. */
export interface ExplorationReport {
  saga: string;
  version: number;
  /** Paths played to their end (or to a state explored before). */
  paths: number;
  /** Distinct states the saga waited in. */
  states: number;
  /** How many paths ended in each status. */
  endings: Record<string, number>;
  /** True when `maxPaths` cut the run short. */
  truncated: boolean;
  /** The paths that break a rule; empty means the saga is clean. */
  violations: ExploredPath[];
}

const DEFAULT_MAX_PATHS = 20_000;
const ACCEPTED_ENDINGS = new Set(["completed", "compensated", "needs-intervention"]);

/** What decides where a saga can go from here; two snapshots with the same key act the same. */
function stateKey(snapshot: SagaSnapshot): string {
  const pending = allPendingOf(snapshot)
    .map((work) => [work.step, work.compensation, work.waitingFor])
    .sort();
  return canonicalJson({
    state: snapshot.state,
    status: snapshot.status,
    pivotPassed: snapshot.pivotPassed,
    steps: Object.entries(snapshot.steps).map(([name, r]) => [name, r.status, r.attempts > 0]),
    pending,
    failure: snapshot.failure?.kind ?? null,
  });
}

/** The rules every finished path must keep, checked over its transitions. */
export function pathProblems(saga: SagaTest): string[] {
  const problems: string[] = [];
  for (const { result, before } of saga.transitions()) {
    if (!result.applied || !before) continue;
    for (const effect of result.effects) {
      if (effect.type !== "send-command" || !effect.compensation || effect.attempt !== 1) continue;
      const record = before.steps[effect.step];
      if (!record || record.attempts === 0) {
        problems.push(`compensates ${effect.step}, which never ran`);
      }
      const role = saga.roleOf(effect.step);
      // The pivot may succeed in the same transition that (wrongly) starts a compensation.
      const pivotPassed = before.pivotPassed || result.snapshot.pivotPassed;
      if (pivotPassed || role === "pivot" || role === "retriable") {
        problems.push(
          `compensates ${effect.step} past the pivot (${pivotPassed ? "the pivot had succeeded" : `${effect.step} is ${role}`})`,
        );
      }
    }
  }
  const snapshot = saga.snapshot;
  const status = snapshot?.status ?? "not started";
  if (status === "running" || status === "compensating") {
    problems.push(`stops while ${status}: it waits on nothing that can move it`);
  } else if (!ACCEPTED_ENDINGS.has(status) && status !== "failed") {
    problems.push(`ends ${status}`);
  }
  if (snapshot && (status === "compensated" || status === "failed")) {
    const undone = saga.compiled.steps.filter(
      (step) => step.compensation && snapshot.steps[step.name]?.status === "succeeded",
    );
    for (const step of undone) problems.push(`ends ${status} with ${step.name} still in effect`);
    // A step that may have applied (it was sent, and did not fail for sure) must be undone too:
    // a parallel sibling stopped mid-flight, an attempt that timed out.
    for (const step of saga.compiled.steps) {
      const record = snapshot.steps[step.name];
      if (!step.compensation || !record || record.attempts === 0) continue;
      if (record.status !== "failed" && record.status !== "compensating") continue;
      const failure = snapshot.failure;
      const failedForSure =
        failure?.step === step.name &&
        (failure.kind === "business-failure" || failure.kind === "non-retryable");
      if (!failedForSure) {
        problems.push(`ends ${status} with ${step.name} possibly in effect (${record.status})`);
      }
    }
    if (snapshot.pivotPassed) problems.push(`ends ${status} after the pivot succeeded`);
  }
  return problems;
}

/**
 * Explores every combination of outcomes of every step of `compiled`, started with
 * `options.input`, and returns the report (see the module comment for the rules checked).
 */
export function exploreSaga(compiled: CompiledSaga, options: ExploreOptions): ExplorationReport {
  const maxPaths = options.maxPaths ?? DEFAULT_MAX_PATHS;
  const answers = options.answers ?? {};
  const seen = new Set<string>();
  const report: ExplorationReport = {
    saga: compiled.name,
    version: compiled.version,
    paths: 0,
    states: 0,
    endings: {},
    truncated: false,
    violations: [],
  };

  const finish = (saga: SagaTest, choices: string[], playing: string[], ended: boolean) => {
    report.paths += 1;
    const status = saga.status ?? "not started";
    if (ended) report.endings[status] = (report.endings[status] ?? 0) + 1;
    const problems = [...playing, ...(ended ? pathProblems(saga) : [])];
    if (problems.length > 0) {
      report.violations.push({ choices, path: saga.path(), status, problems });
    }
  };

  // Depth first over an explicit stack (a long saga must not overflow the call stack).
  const stack: Array<{ saga: SagaTest; choices: string[]; playing: string[] }> = [
    { saga: sagaTest(compiled).start(options.input), choices: [], playing: [] },
  ];
  while (stack.length > 0) {
    const { saga, choices, playing } = stack.pop() as (typeof stack)[number];
    if (report.paths >= maxPaths) {
      report.truncated = true;
      break;
    }
    const waiting = saga.waitingOnAll().filter((work) => work.waitingFor !== "operator");
    if (waiting.length === 0 || !saga.snapshot) {
      finish(saga, choices, playing, true);
      continue;
    }
    const key = stateKey(saga.snapshot);
    if (seen.has(key)) {
      // The rest of this path was explored from the same state before; what led here is checked.
      finish(saga, choices, playing, false);
      continue;
    }
    seen.add(key);
    report.states += 1;
    // Each piece of work in turn (a parallel group waits on one per branch), so every order in
    // which the branches' answers arrive is played.
    const moves = waiting.flatMap((pending) => {
      const where = pending.compensation ? `compensate:${pending.step}` : pending.step;
      return outcomesOf(saga, pending, answers).map((outcome) => ({ where, outcome }));
    });
    if (moves.length === 0) {
      const steps = waiting.map((work) => work.step).join(", ");
      finish(saga, choices, [...playing, `no outcome can move ${steps}`], true);
      continue;
    }
    // Pushed in reverse so that the paths are played in the order the outcomes are listed.
    for (const { where, outcome } of [...moves].reverse()) {
      const next = saga.fork();
      let problems: string[];
      try {
        problems = outcome.play(next);
      } catch (error) {
        problems = [`playing "${outcome.label}" threw: ${(error as Error).message}`];
        finish(next, [...choices, `${where}: ${outcome.label}`], [...playing, ...problems], false);
        continue;
      }
      problems.push(...lateAnswersToStopped(next, saga.snapshot));
      stack.push({
        saga: next,
        choices: [...choices, `${where}: ${outcome.label}`],
        playing: [...playing, ...problems],
      });
    }
  }
  return report;
}

/** The report as text: a summary line, then each violating path with its choices and problems. */
export function formatExploration(report: ExplorationReport): string {
  const endings = Object.entries(report.endings)
    .map(([status, count]) => `${count} ${status}`)
    .join(", ");
  const head = `${report.saga} v${report.version}: ${report.paths} path(s) through ${report.states} state(s) explored${report.truncated ? " (cut short by maxPaths)" : ""}; endings: ${endings || "none"}; ${report.violations.length} path(s) break the rules`;
  const paths = report.violations.map((violation, index) =>
    [
      `#${index + 1} ${violation.choices.join(" → ") || "(at start)"}`,
      `   ran: ${violation.path.join(", ")}`,
      `   ended: ${violation.status}`,
      ...violation.problems.map((problem) => `   ✗ ${problem}`),
    ].join("\n"),
  );
  return [head, ...paths].join("\n");
}

/**
 * Throws, with every violating path printed readably, unless the exploration is clean (no
 * violation, not cut short). Works in any test framework: a thrown Error fails the test.
 */
export function assertCleanExploration(report: ExplorationReport): void {
  if (report.violations.length === 0 && !report.truncated) return;
  throw new Error(formatExploration(report));
}

/**
 * When a branch fails, its siblings' steps in flight are stopped; their participants may still
 * answer. Each stopped step's success reply, arriving now, must change nothing.
 */
function lateAnswersToStopped(saga: SagaTest, before: SagaSnapshot): string[] {
  const problems: string[] = [];
  for (const step of saga.compiled.steps) {
    const record = saga.snapshot?.steps[step.name];
    const earlier = before.steps[step.name];
    if (record?.lastError?.code !== "BRANCH_STOPPED" || earlier?.status !== "running") continue;
    if (step.action.kind !== "command") continue;
    const reply = step.outcomes.success[0];
    if (reply === undefined) continue;
    const late = saga.reply(
      step.name,
      reply,
      {},
      { attempt: record.attempts, compensation: false },
    );
    if (late.applied) problems.push(`the late reply to stopped ${step.name} was applied`);
  }
  return problems;
}

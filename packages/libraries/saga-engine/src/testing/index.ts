// `@sagaworks/saga-engine/testing`: the saga author's test kit. `sagaTest` scripts one saga
// through the real engine with a fake clock (no broker, no database); `exploreSaga` plays every
// combination of outcomes of every step and reports the paths that break the rules of a saga;
// `assertCleanExploration` fails a test with those paths printed. It lives with the engine
// because it drives `transition`; the definition package cannot depend on the engine.
export { SagaDriver } from "./driver.ts";
export {
  assertCleanExploration,
  type ExplorationReport,
  type ExploredPath,
  type ExploreOptions,
  exploreSaga,
  formatExploration,
  pathProblems,
} from "./explore.ts";
export { type Outcome, outcomesOf, type SampleAnswers } from "./outcomes.ts";
export {
  COMMAND_FAILED,
  SagaTest,
  type SagaTestOptions,
  type SentCall,
  type SentCommand,
  sagaTest,
} from "./saga-test.ts";

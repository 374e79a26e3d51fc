export { checkAccounts, runScenario, type ScenarioResult } from "./scenario.ts";
export { definitionsDir, type RunningSystem, type SystemOptions, startSystem } from "./system.ts";

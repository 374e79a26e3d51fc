// Public surface of @sagaworks/ops: the command runner, for tests and for embedding.
export type { CommandGroup, OpsIo } from "./command.ts";
export { ExitCode, UsageError } from "./command.ts";
export { COMMAND_GROUPS, runOps } from "./run-ops.ts";

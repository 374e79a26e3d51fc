export { SystemErrorCode, SystemErrors } from "./errors.ts";
export {
  definitionsDir,
  type ResolvedSystemOptions,
  type RunningSystem,
  resolveSystemOptions,
  type SystemOptions,
  startSystem,
} from "./system.ts";

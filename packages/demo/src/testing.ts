// What tests of the whole back end share: ending a system without leaving schemas behind.
import { dropTestSchemas } from "@sagaworks/platform/testing";
import type { RunningSystem } from "./system.ts";

/**
 * Stops a system started by `startSystem` and, on a shared Postgres (`DATABASE_URL`), drops the
 * schemas it made, plus `extraSchemas` (a test's own, such as a journal).
 */
export async function stopSystemAndDropSchemas(
  system: RunningSystem,
  extraSchemas: readonly string[] = [],
): Promise<void> {
  const schemas = [...Object.values(system.databases).map((db) => db.schema), ...extraSchemas];
  await system.stop();
  await dropTestSchemas(schemas, process.env);
}

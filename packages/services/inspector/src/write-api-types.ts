// Writes web/api-types.ts from the OpenAPI document of a real orchestrator, started on the
// embedded back end: `pnpm --filter @sagaworks/inspector api-types`.
import { writeFile } from "node:fs/promises";
import { createLogger } from "@sagaworks/platform";
import { startSystem } from "@sagaworks/system";
import { apiTypesFile, renderApiTypes } from "./api-types.ts";

const system = await startSystem({
  logger: createLogger({ name: "api-types", level: "warn" }),
  prefix: `api-types-${process.pid}`,
  apiToken: `api-types-${crypto.randomUUID()}`,
});
try {
  const response = await fetch(`${system.urls.orchestrator}/docs/json`);
  if (!response.ok) throw new Error(`GET /docs/json answered ${response.status}`);
  await writeFile(apiTypesFile, await renderApiTypes(await response.json()));
  process.stdout.write(`wrote ${apiTypesFile}\n`);
} finally {
  await system.stop();
}

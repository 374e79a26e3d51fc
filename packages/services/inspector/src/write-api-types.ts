// Writes web/api-types.ts from the orchestrator's OpenAPI document, built from its routes'
// schemas without a database, broker or running orchestrator (the inspector's test checks the
// result against what a running orchestrator serves): `pnpm --filter @sagaworks/inspector api-types`.
import { writeFile } from "node:fs/promises";
import { apiDocument } from "@sagaworks/orchestrator";
import { apiTypesFile, renderApiTypes } from "./api-types.ts";

await writeFile(apiTypesFile, await renderApiTypes(await apiDocument()));
process.stdout.write(`wrote ${apiTypesFile}\n`);

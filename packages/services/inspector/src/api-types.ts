// The inspector's TypeScript types of the orchestrator API, generated from the OpenAPI document
// the orchestrator serves at /docs/json. One function renders them, so the writer
// (`pnpm --filter @sagaworks/inspector api-types`) and the test that checks the committed file
// is current cannot disagree about the format.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

/** The committed, generated file the web app imports. */
export const apiTypesFile = fileURLToPath(new URL("../web/api-types.ts", import.meta.url));

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

const header = `// GENERATED from the orchestrator's OpenAPI document (/docs/json); do not edit by hand.
// Regenerate: pnpm --filter @sagaworks/inspector api-types
// A test fails when this file no longer matches what the orchestrator serves.
`;

/** Renders the OpenAPI document as TypeScript (openapi-typescript), formatted by Biome. */
export async function renderApiTypes(openapi: unknown): Promise<string> {
  // The document's info.version and servers say nothing about the shapes; keep only paths
  // and components, so the file changes only when the API does.
  const doc = openapi as { openapi: string; paths: unknown; components?: unknown };
  const ast = await openapiTS(
    {
      openapi: doc.openapi,
      info: { title: "Sagaworks orchestrator", version: "1.0.0" },
      paths: doc.paths,
      ...(doc.components ? { components: doc.components } : {}),
    } as Parameters<typeof openapiTS>[0],
    { alphabetize: true },
  );
  const source = header + astToString(ast);
  const biome = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL("node_modules/@biomejs/biome/bin/biome", `file://${repoRoot}`)),
      "format",
      `--stdin-file-path=${apiTypesFile}`,
    ],
    { input: source, encoding: "utf8", cwd: repoRoot },
  );
  if (biome.status !== 0) throw new Error(`biome format failed: ${biome.stderr}`);
  return biome.stdout;
}

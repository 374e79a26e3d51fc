#!/usr/bin/env node
// Builds a deployable's production folder (see buildDeployFolder):
//
//   node infra/src/images/build-main.ts <orchestrator|order|account|customer> <out-dir>
//
// The Dockerfiles run it in their build stage; the infra tests run it and start the result.
import { DEPLOYABLES } from "@sagaworks/deployables";
import { buildDeployFolder } from "./deploy-folder.ts";

const [name, outDir, ...extra] = process.argv.slice(2);
const deployable = DEPLOYABLES.find((candidate) => candidate.name === name);
if (!deployable || !outDir || extra.length > 0) {
  process.stderr.write(
    `usage: build-main.ts <${DEPLOYABLES.map((d) => d.name).join("|")}> <out-dir>\n`,
  );
  process.exit(2);
}
try {
  await buildDeployFolder(deployable, outDir);
  process.stdout.write(`built ${deployable.name} into ${outDir} (start: node dist/main.js)\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

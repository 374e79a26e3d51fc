import { spawn } from "node:child_process";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Deployable, deployableMain } from "@sagaworks/deployables";
import { build, type Plugin } from "esbuild";
import { InfraErrorCode, InfraErrors } from "../errors.ts";

/** The repository root. */
export const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Where a deploy folder's entry point is, relative to the folder. */
export const DEPLOY_ENTRY = "dist/main.js";

/**
 * Builds what goes into a deployable's image:
 *
 * 1. `pnpm deploy --prod` of its workspace package: its production dependencies only, so the
 *    emulator and PGlite (dev dependencies) are not there. `--legacy` because pnpm 10 otherwise
 *    needs inject-workspace-packages, which would change every developer's install; a hoisted
 *    node_modules so the bundle below finds every third-party package from its own folder.
 * 2. esbuild bundles the workspace code (`@sagaworks/*`, TypeScript that Node will not strip
 *    inside node_modules) into `dist/main.js`; third-party packages stay in node_modules as
 *    they are.
 * 3. The copied workspace sources are removed; the orchestrator also gets saga-definitions/.
 *
 * The result starts with `node dist/main.js`. The Dockerfiles run this same function.
 */
export async function buildDeployFolder(
  deployable: Deployable,
  outDir: string,
  options: { pnpm?: string; root?: string } = {},
): Promise<void> {
  const root = options.root ?? REPOSITORY_ROOT;
  await rm(outDir, { recursive: true, force: true });
  await run(
    options.pnpm ?? "pnpm",
    [
      "--filter",
      deployable.workspacePackage,
      "deploy",
      "--prod",
      "--legacy",
      "--config.node-linker=hoisted",
      "--config.confirmModulesPurge=false",
      outDir,
    ],
    root,
  );
  await build({
    entryPoints: [join(root, deployableMain(deployable.name))],
    outfile: join(outDir, DEPLOY_ENTRY),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    sourcemap: true,
    logLevel: "warning",
    plugins: [bundleWorkspaceOnly],
    // Bundled CommonJS helpers may call require(); give ESM output one.
    banner: {
      js: 'import { createRequire as __sagaworksCreateRequire } from "node:module"; const require = __sagaworksCreateRequire(import.meta.url);',
    },
  });
  for (const leftover of ["src", "test", "bench", "node_modules/@sagaworks"]) {
    await rm(join(outDir, leftover), { recursive: true, force: true });
  }
  const manifestPath = join(outDir, "package.json");
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Record<string, unknown>;
  manifest.main = DEPLOY_ENTRY;
  manifest.scripts = { start: `node ${DEPLOY_ENTRY}` };
  delete manifest.exports;
  delete manifest.devDependencies;
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  if (deployable.name === "orchestrator") {
    await cp(join(root, "saga-definitions"), join(outDir, "saga-definitions"), {
      recursive: true,
    });
  }
}

/** Workspace packages are bundled; every other bare import stays external (node_modules). */
const bundleWorkspaceOnly: Plugin = {
  name: "bundle-workspace-only",
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@sagaworks/") ? undefined : { path: args.path, external: true },
    );
  },
};

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(
            InfraErrors.create(
              InfraErrorCode.imageBuildFailed,
              `${command} ${args.join(" ")} exited with ${code}:\n${output}`,
            ),
          ),
    );
  });
}

// The deployables as their images start them: the workspace code (`@sagaworks/*`, TypeScript)
// bundled by esbuild into one ES module, third-party packages loaded from node_modules as they
// are (see infra/src/images/deploy-folder.ts, which builds the image's dist/main.js the same
// way). A start from source pays Node's type stripping and one module load per workspace file;
// the image does not, so restarts measured from source overstate what a deployment meets.
//
// The image resolves third-party packages from its own hoisted node_modules; here each one is
// resolved at build time, as the workspace package importing it would, and imported by its
// absolute path. What the code itself requires at run time (the tracing SDK when tracing is on)
// resolves from where the bundle lies: pnpm's folder of every installed package.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type DeployableName, deployableMain } from "@sagaworks/deployables";
import { build, type Plugin } from "esbuild";
import { repo } from "./settings.ts";

/**
 * Packages left out of even a whole bundle: they read files beside their own code (the Swagger
 * UI's static files), are development-only ones a deployment never loads, or are UMD builds
 * whose requires esbuild cannot follow (jsonc-parser).
 */
const NOT_BUNDLED = [
  "@fastify/swagger-ui",
  "@fastify/static",
  "@electric-sql/pglite",
  "fauxqs",
  "jsonc-parser",
];

/**
 * Workspace packages are bundled, and with `everything` the third-party ones too except
 * {@link NOT_BUNDLED}; every other bare import stays external, by absolute path.
 */
const bundleOnly = (everything: boolean): Plugin => ({
  name: "bundle-workspace-only",
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith("@sagaworks/") || args.path.startsWith("node:")) return undefined;
      // The plugin's own resolve call below comes back here; it must resolve normally.
      if ((args.pluginData as { benchResolving?: boolean } | undefined)?.benchResolving)
        return undefined;
      const resolved = await context.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { benchResolving: true },
      });
      // Node built-ins without the prefix, and optional drivers that are not installed (knex
      // names every dialect's), stay as written: nothing loads them.
      if (resolved.errors.length > 0 || !resolved.path || resolved.external)
        return { path: args.path, external: true };
      const bundled =
        everything &&
        !NOT_BUNDLED.some((name) => args.path === name || args.path.startsWith(`${name}/`));
      if (bundled) return { path: resolved.path };
      return { path: resolved.path, external: true };
    });
  },
});

/** Builds `<name>`'s bundle (git-ignored, under node_modules); returns its path. */
export async function bundleDeployable(name: DeployableName, everything = false): Promise<string> {
  const dir = repo("node_modules/.pnpm/node_modules/.sagaworks-bench");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}${everything ? "-all" : ""}.mjs`);
  await build({
    entryPoints: [repo(deployableMain(name))],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    logLevel: "error",
    plugins: [bundleOnly(everything)],
    // Bundled CommonJS helpers may call require(); give the ES module one, as the image does.
    banner: {
      js: 'import { createRequire as __sagaworksCreateRequire } from "node:module"; const require = __sagaworksCreateRequire(import.meta.url);',
    },
  });
  return outfile;
}

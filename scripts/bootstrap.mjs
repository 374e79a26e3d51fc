#!/usr/bin/env node
// Brings in what the project needs, then runs one of its pnpm scripts.
//
// It must run on any Node >= 18 with npm, so it is plain JavaScript with no dependencies.
// The project itself targets Node >= 22 (fauxqs needs node:sqlite, vitest needs >= 22.12):
// where the system Node is older, Node 24 comes from the npm registry's `node` package.
// pnpm comes from the npm registry at the version pinned in package.json's `packageManager`.
// Both land in `.tools/`, which is git-ignored and reused on later runs. `pnpm install` runs only
// when the lockfile, a manifest or a version changed since the last successful install.
//
// Usage: node scripts/bootstrap.mjs <pnpm script> [args…]
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const toolsDir = join(root, ".tools");
const toolsBin = join(toolsDir, "node_modules", ".bin");
const MIN_NODE_MAJOR = 22;
const MIN_NODE_MINOR = 12;
const FALLBACK_NODE = "node@24";

function log(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

function fail(message) {
  log(`error: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  return result.status ?? 1;
}

function installedVersion(pkg) {
  const file = join(toolsDir, "node_modules", pkg, "package.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")).version;
}

function nodeIsRecentEnough(version) {
  const [major, minor] = version.split(".").map(Number);
  return major > MIN_NODE_MAJOR || (major === MIN_NODE_MAJOR && minor >= MIN_NODE_MINOR);
}

const script = process.argv[2];
if (!script) fail("usage: node scripts/bootstrap.mjs <pnpm script> [args…]");

const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pinned = /^pnpm@(\d+\.\d+\.\d+)/.exec(rootPackage.packageManager ?? "");
if (!pinned) fail('package.json must pin pnpm as "packageManager": "pnpm@x.y.z"');
const pnpmVersion = pinned[1];

const needNode = !nodeIsRecentEnough(process.versions.node);
const nodeInstalled = installedVersion("node");
const missing = [];
if (installedVersion("pnpm") !== pnpmVersion) missing.push(`pnpm@${pnpmVersion}`);
if (needNode && !nodeInstalled) missing.push(FALLBACK_NODE);
// npm prunes what a --no-save install does not name, so every install names the whole set:
// otherwise a .tools/ set up under a recent Node (pnpm only) loses pnpm when an older Node
// later adds node@24, and the other way round.
const wanted = [`pnpm@${pnpmVersion}`];
if (needNode && !nodeInstalled) wanted.push(FALLBACK_NODE);
else if (nodeInstalled) wanted.push(`node@${nodeInstalled}`);
if (missing.length > 0) {
  log(`installing ${missing.join(", ")} into .tools/ (system Node is ${process.versions.node})`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const status = run(
    npm,
    [
      "install",
      "--prefix",
      toolsDir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...wanted,
    ],
    { stdio: ["inherit", 2, "inherit"] },
  );
  if (status !== 0) fail(`npm install ${wanted.join(" ")} failed (exit ${status})`);
}

// Put .tools/node_modules/.bin first so that `node` is Node 24 where the system one is too old,
// for pnpm and for every script it starts.
const pathEntries = [toolsBin];
if (!needNode) pathEntries.push(dirname(process.execPath));
const env = {
  ...process.env,
  PATH: [...pathEntries, process.env.PATH ?? ""].join(delimiter),
  // pnpm would otherwise try to switch itself to the pinned version on its own.
  COREPACK_ENABLE_STRICT: "0",
};
const nodeBin = needNode ? join(toolsBin, "node") : process.execPath;
const pnpmEntry = join(toolsDir, "node_modules", "pnpm", "bin", "pnpm.cjs");

const nodeVersion = spawnSync(nodeBin, ["--version"], { encoding: "utf8" }).stdout?.trim();
if (!nodeVersion || !nodeIsRecentEnough(nodeVersion.replace(/^v/, ""))) {
  fail(`expected Node >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} at ${nodeBin}, found ${nodeVersion}`);
}

// Folders never holding a workspace manifest: skipped by the walk below.
const NOT_WORKSPACE = new Set(["node_modules", "cdk.out", "dist", "build", "coverage"]);

/** Every package.json of the repository outside node_modules and hidden folders, sorted. */
function manifests(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || NOT_WORKSPACE.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) manifests(path, found);
    else if (entry.name === "package.json") found.push(path);
  }
  return found.sort();
}

/**
 * What an install depends on: the lockfile, the workspace file, every manifest, pnpm's and
 * Node's versions. Equal to the one recorded after the last successful install means there is
 * nothing to install.
 */
function installInputsHash() {
  const hash = createHash("sha256");
  hash.update(`pnpm ${pnpmVersion} node ${nodeVersion}\n`);
  const files = [
    join(root, "pnpm-lock.yaml"),
    join(root, "pnpm-workspace.yaml"),
    ...manifests(root),
  ];
  for (const file of files) {
    hash.update(`${relative(root, file)}\n`);
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

// Recorded inside node_modules, so deleting node_modules forgets it too.
const installRecord = join(root, "node_modules", ".sagaworks-install-inputs");
const inputs = installInputsHash();
const installed =
  existsSync(installRecord) && readFileSync(installRecord, "utf8").trim() === inputs;
if (!installed) {
  // Installers write progress to stdout; send it to stderr so that a script's own stdout (e.g.
  // `saga validate --json`) is the only thing on stdout.
  const toStderr = { stdio: ["inherit", 2, "inherit"] };
  const installStatus = run(
    nodeBin,
    [pnpmEntry, "install", "--frozen-lockfile", "--prefer-offline", "--reporter=append-only"],
    { env, ...toStderr },
  );
  if (installStatus !== 0) fail(`pnpm install --frozen-lockfile failed (exit ${installStatus})`);
  writeFileSync(installRecord, `${inputs}\n`);
}

// The script runs in this process group, so a terminal's Ctrl-C reaches it (and pnpm) directly.
// This process must outlive it: with its default action, a SIGINT would end this process at
// once, inside spawnSync, and the shell's prompt would return while the script still stops.
// Handled signals wait until spawnSync returns; nothing is forwarded, as the script has them.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
// --silent: no "> package@ script" banner on stdout.
const result = spawnSync(
  nodeBin,
  [pnpmEntry, "--silent", "run", script, ...process.argv.slice(3)],
  { stdio: "inherit", cwd: root, env },
);
if (result.error) fail(`could not run pnpm: ${result.error.message}`);
if (result.status !== null) process.exit(result.status);
// pnpm died of a signal after its script ended (it re-raises SIGINT): end the same way, as a
// shell expects of an interrupted command.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.removeAllListeners(signal);
process.kill(process.pid, result.signal ?? "SIGTERM");

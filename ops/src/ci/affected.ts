// Change detection: which workspace packages and which deployables a diff affects. The package
// graph is pnpm's own (`--filter "...[<base>]"` selects the changed packages and everything that
// depends on them); on top of it come the files pnpm cannot attribute: shared build config
// (everything), saga definitions (the orchestrator) and documentation (nothing).
import { relative } from "node:path";
import { DEPLOYABLES, type DeployableName } from "@sagaworks/deployables";
import { type CommandRunner, runChecked } from "./command-runner.ts";

/** Files shared by every image's build: a change rebuilds and retests everything. */
export const SHARED_BUILD_FILES: readonly string[] = [
  "pnpm-lock.yaml",
  "package.json",
  "pnpm-workspace.yaml",
  "tsconfig.base.json",
  ".npmrc",
];

/** Where the shipped saga definitions live; the orchestrator deploys them. */
export const SAGA_DEFINITIONS_DIR = "saga-definitions/";

/**
 * The definition files in that folder, as pnpm's ignore pattern takes them. The folder is also
 * the `@sagaworks/saga-definitions` package (it only exports its own path), which the topology and
 * so every service depend on: pnpm must not count a definition as a change of that package.
 */
const DEFINITION_FILE_PATTERNS: readonly string[] = [
  "saga-definitions/**/*.saga.json",
  "saga-definitions/*.schema.json",
];

/** Documentation: never builds or tests anything. Globs as pnpm's ignore pattern takes them. */
export const DOC_PATTERNS: readonly string[] = ["**/*.md", "**/*.mdx", "docs/**"];

/** True for a documentation file (Markdown anywhere, or under docs/). */
export function isDocumentation(file: string): boolean {
  return /\.mdx?$/i.test(file) || file.startsWith("docs/");
}

/** A workspace package as pnpm lists it, with its folder relative to the repository root. */
export interface WorkspacePackage {
  name: string;
  /** Folder relative to the repository root; "." for the root project. */
  path: string;
}

/** A deployable the diff affects, and why. */
export interface AffectedDeployable {
  name: DeployableName;
  path: string;
  reasons: string[];
}

/** What a diff affects: the input of the generated pipeline. */
export interface AffectedReport {
  /** The ref the diff is taken against, as given. */
  base: string;
  /** The commit the diff starts from (merge base of base and HEAD), when it was found. */
  mergeBase: string | null;
  /** Changed files (tracked, working tree against the merge base), documentation included. */
  changedFiles: string[];
  /** True when every package must be linted and tested (shared or root-level files changed). */
  full: boolean;
  /** Why `full` is true; empty otherwise. */
  fullReasons: string[];
  /** Affected workspace packages (changed or depending on a changed one), root excluded. */
  packages: WorkspacePackage[];
  /** Affected deployables, in DEPLOYABLES order. */
  deployables: AffectedDeployable[];
}

/** Inputs of `summarizeAffected`, gathered from git and pnpm. */
export interface AffectedFacts {
  base: string;
  mergeBase: string | null;
  changedFiles: readonly string[];
  /** Every workspace package (to tell root-level files from package files). */
  workspace: readonly WorkspacePackage[];
  /** What pnpm's filter selected (changed packages and their dependents). */
  selected: readonly WorkspacePackage[];
}

function insidePackage(file: string, packages: readonly WorkspacePackage[]): boolean {
  return packages.some((pkg) => pkg.path !== "." && file.startsWith(`${pkg.path}/`));
}

/** Turns the facts into the report. Pure; the rules are in the module comment. */
export function summarizeAffected(facts: AffectedFacts): AffectedReport {
  const relevant = facts.changedFiles.filter((file) => !isDocumentation(file));
  const shared = relevant.filter((file) => SHARED_BUILD_FILES.includes(file));
  const definitions = relevant.filter((file) => file.startsWith(SAGA_DEFINITIONS_DIR));
  const rootLevel = relevant.filter(
    (file) =>
      !shared.includes(file) &&
      !definitions.includes(file) &&
      !insidePackage(file, facts.workspace),
  );

  // Reasons that rebuild every image; root-level files outside them only widen the tests.
  const everythingReasons: string[] = [];
  if (facts.mergeBase === null) {
    everythingReasons.push(
      `base ${facts.base} is not in this clone's history: everything is affected`,
    );
  }
  if (shared.length > 0) {
    everythingReasons.push(`shared build config changed: ${shared.join(", ")}`);
  }
  const fullReasons = [...everythingReasons];
  if (rootLevel.length > 0) {
    fullReasons.push(`files outside the workspace packages changed: ${rootLevel.join(", ")}`);
  }
  const full = fullReasons.length > 0;

  const selectedNames = new Set(facts.selected.map((pkg) => pkg.name));
  const deployables: AffectedDeployable[] = [];
  for (const deployable of DEPLOYABLES) {
    const reasons: string[] = [];
    reasons.push(...everythingReasons);
    if (deployable.name === "orchestrator" && definitions.length > 0) {
      reasons.push(`saga definitions changed: ${definitions.join(", ")}`);
    }
    if (selectedNames.has(deployable.workspacePackage)) {
      reasons.push(`${deployable.workspacePackage} or one of its dependencies changed`);
    }
    if (reasons.length > 0) {
      deployables.push({ name: deployable.name, path: deployable.path, reasons });
    }
  }

  const packages = (full ? facts.workspace : facts.selected)
    .filter((pkg) => pkg.path !== ".")
    .toSorted((a, b) => a.path.localeCompare(b.path));
  return {
    base: facts.base,
    mergeBase: facts.mergeBase,
    changedFiles: [...facts.changedFiles],
    full,
    fullReasons,
    packages,
    deployables,
  };
}

/** What `detectAffected` needs. */
export interface DetectAffectedOptions {
  /** Any directory inside the repository. */
  cwd: string;
  /** The ref to compare with (a branch, tag or SHA). */
  base: string;
  runner: CommandRunner;
  /** The pnpm executable (default `pnpm`, from PATH). */
  pnpm?: string;
}

async function listPackages(
  runner: CommandRunner,
  pnpm: string,
  root: string,
  filters: readonly string[],
): Promise<WorkspacePackage[]> {
  const args = ["ls", "--recursive", "--depth", "-1", "--json"];
  for (const filter of filters) args.push("--filter", filter);
  for (const pattern of [...DOC_PATTERNS, ...DEFINITION_FILE_PATTERNS]) {
    args.push("--changed-files-ignore-pattern", pattern);
  }
  const stdout = await runChecked(runner, pnpm, args, { cwd: root });
  const listed = JSON.parse(stdout.trim() || "[]") as { name?: string; path: string }[];
  return listed.map((pkg) => ({
    name: pkg.name ?? relative(root, pkg.path),
    path: relative(root, pkg.path) || ".",
  }));
}

/** Asks git and pnpm what changed since `base` and returns the report. */
export async function detectAffected(options: DetectAffectedOptions): Promise<AffectedReport> {
  const { runner, base } = options;
  const pnpm = options.pnpm ?? "pnpm";
  const root = (
    await runChecked(runner, "git", ["rev-parse", "--show-toplevel"], { cwd: options.cwd })
  ).trim();
  const workspace = await listPackages(runner, pnpm, root, []);

  const mergeBaseRun = await runner.run("git", ["merge-base", base, "HEAD"], { cwd: root });
  if (mergeBaseRun.exitCode !== 0) {
    return summarizeAffected({ base, mergeBase: null, changedFiles: [], workspace, selected: [] });
  }
  const mergeBase = mergeBaseRun.stdout.trim();
  const changedFiles = (
    await runChecked(runner, "git", ["diff", "--name-only", "--no-renames", mergeBase, "--"], {
      cwd: root,
    })
  )
    .split("\n")
    .filter((line) => line !== "");

  // pnpm is told to ignore definition files (see DEFINITION_FILE_PATTERNS): select the
  // orchestrator and its dependents explicitly when one changed.
  const filters = [`...[${mergeBase}]`];
  const orchestrator = DEPLOYABLES.find((deployable) => deployable.name === "orchestrator");
  const definitionChanged = changedFiles.some(
    (file) => file.startsWith(SAGA_DEFINITIONS_DIR) && !isDocumentation(file),
  );
  if (orchestrator && definitionChanged) filters.push(`...${orchestrator.workspacePackage}`);
  const selected = await listPackages(runner, pnpm, root, filters);
  return summarizeAffected({ base, mergeBase, changedFiles, workspace, selected });
}

/** The report as text for a terminal. */
export function formatAffected(report: AffectedReport): string {
  const lines = [
    `Changes since ${report.base}${report.mergeBase ? ` (${report.mergeBase})` : ""}:`,
  ];
  lines.push(`  ${report.changedFiles.length} changed file(s)`);
  for (const reason of report.fullReasons) lines.push(`  full pipeline: ${reason}`);
  lines.push("", "Affected packages (lint and test):");
  if (report.packages.length === 0) lines.push("  none");
  for (const pkg of report.packages) lines.push(`  ${pkg.name}  ${pkg.path}`);
  lines.push("", "Affected deployables (build and push):");
  if (report.deployables.length === 0) lines.push("  none");
  for (const deployable of report.deployables) {
    lines.push(`  ${deployable.name}: ${deployable.reasons.join("; ")}`);
  }
  return `${lines.join("\n")}\n`;
}

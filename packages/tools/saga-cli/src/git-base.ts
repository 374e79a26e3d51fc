// The git side of `saga diff`: the definitions as they were at a ref, read with `git show`, never
// by checking anything out (the working tree is left alone).
import { spawnSync } from "node:child_process";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { CliErrorCode, CliErrors } from "./errors.ts";

/** A repository and a commit to compare the working tree with. */
export interface GitBase {
  /** The repository's top folder. */
  root: string;
  /** The ref as given (`main`, `HEAD~1`, a SHA). */
  ref: string;
  /** The commit it names. */
  commit: string;
}

function git(cwd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    throw CliErrors.create(
      CliErrorCode.usage,
      `saga diff needs git on the PATH (${result.error.message}).`,
      {},
      { cause: result.error },
    );
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Finds the repository around `cwd` and the commit `ref` names; a bad ref is a usage error. */
export function resolveGitBase(cwd: string, ref: string): GitBase {
  const top = git(cwd, ["rev-parse", "--show-toplevel"]);
  if (top.status !== 0) {
    throw CliErrors.create(
      CliErrorCode.usage,
      `${cwd} is not inside a git repository; saga diff compares with a commit (${top.stderr.trim()}).`,
    );
  }
  const commit = git(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (commit.status !== 0) {
    throw CliErrors.create(
      CliErrorCode.usage,
      `--against ${ref}: no such commit in this repository; pass a branch, tag or SHA (e.g. the merge base: $(git merge-base origin/main HEAD)).`,
    );
  }
  return { root: top.stdout.trim(), ref, commit: commit.stdout.trim() };
}

/** A path relative to the repository's top, with forward slashes (as git names it). */
export function repoPath(base: GitBase, path: string): string {
  const inside = relative(base.root, resolve(path));
  if (inside.startsWith("..") || isAbsolute(inside)) {
    throw CliErrors.create(CliErrorCode.usage, `${path} is outside the repository ${base.root}.`);
  }
  return inside.split(sep).join("/");
}

/** Files at the base under `path` (a folder or one file), repository-relative. */
export function filesAtBase(base: GitBase, path: string): string[] {
  const listed = git(base.root, ["ls-tree", "-r", "--name-only", base.commit, "--", path]);
  if (listed.status !== 0) return [];
  return listed.stdout.split("\n").filter((line) => line.length > 0);
}

/** A file's text at the base, or undefined when it did not exist there. */
export function readAtBase(base: GitBase, path: string): string | undefined {
  const shown = git(base.root, ["show", `${base.commit}:${path}`]);
  return shown.status === 0 ? shown.stdout : undefined;
}

/** Whether anything under the given repository paths differs between the base and the tree. */
export function changedSinceBase(base: GitBase, paths: readonly string[]): boolean {
  const diff = git(base.root, ["diff", "--quiet", base.commit, "--", ...paths]);
  return diff.status !== 0;
}

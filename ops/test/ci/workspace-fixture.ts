// A throw-away copy of this repository's workspace manifests in a temporary git repository, so
// change detection runs against the real package graph without touching the real checkout.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The real repository's root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Environment for git commits in tests: a fixed identity, no user config. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: "Sagaworks Test",
  GIT_AUTHOR_EMAIL: "test@sagaworks.invalid",
  GIT_COMMITTER_NAME: "Sagaworks Test",
  GIT_COMMITTER_EMAIL: "test@sagaworks.invalid",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** Runs git in `cwd` and returns its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: "utf8",
  });
}

/** A temporary workspace repository on branch `main`, with one commit. */
export interface WorkspaceRepo {
  dir: string;
  /** Writes a file (creating folders) and commits it on the current branch. */
  commitChange(files: Record<string, string>, message?: string): void;
  remove(): void;
}

/** Copies the workspace's manifests, definitions and a README into a fresh git repository. */
export function createWorkspaceRepo(): WorkspaceRepo {
  const dir = mkdtempSync(join(tmpdir(), "sagaworks-affected-"));
  for (const file of ["package.json", "pnpm-workspace.yaml", "tsconfig.base.json", "README.md"]) {
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
  cpSync(join(REPO_ROOT, "saga-definitions"), join(dir, "saga-definitions"), { recursive: true });
  const listed = JSON.parse(
    execFileSync("pnpm", ["ls", "--recursive", "--depth", "-1", "--json"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    }),
  ) as { path: string }[];
  for (const pkg of listed) {
    const path = relative(REPO_ROOT, pkg.path);
    if (path === "") continue;
    mkdirSync(join(dir, path, "src"), { recursive: true });
    cpSync(join(pkg.path, "package.json"), join(dir, path, "package.json"));
    writeFileSync(join(dir, path, "src", "index.ts"), "export {};\n");
    writeFileSync(join(dir, path, "README.md"), `# ${path}\n`);
  }
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "add", "--all");
  git(dir, "commit", "--quiet", "--message", "workspace");
  git(dir, "checkout", "--quiet", "-b", "feature");
  return {
    dir,
    commitChange(files, message = "change") {
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), content);
      }
      git(dir, "add", "--all");
      git(dir, "commit", "--quiet", "--message", message);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

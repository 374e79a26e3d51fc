// The two shell scripts the CircleCI config runs: plan.sh (which base the setup job compares
// with, and the `ops ci config` call it makes) and aws-credentials.sh (what it checks and what
// it hands to later steps). plan.sh runs in a temporary clone with a recording `node` first on
// PATH, so the bootstrap (an install) is not run.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GIT_ENV, git, REPO_ROOT } from "./workspace-fixture.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sagaworks-scripts-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A clone of a one-file repository with plan.sh in it, main one commit ahead of its parent. */
function planRepo(): { clone: string; bin: string; argsFile: string } {
  const origin = join(dir, "origin.git");
  const seed = join(dir, "seed");
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", origin);
  // A fresh repository pushed to the empty bare one, not a clone of it: cloning an empty
  // repository warns on stderr even with --quiet.
  git(dir, "init", "--quiet", "--initial-branch=main", seed);
  git(seed, "remote", "add", "origin", origin);
  mkdirSync(join(seed, ".circleci", "scripts"), { recursive: true });
  cpSync(
    join(REPO_ROOT, ".circleci", "scripts", "plan.sh"),
    join(seed, ".circleci", "scripts", "plan.sh"),
  );
  writeFileSync(join(seed, "a.txt"), "1\n");
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "--message", "one");
  writeFileSync(join(seed, "a.txt"), "2\n");
  git(seed, "commit", "--quiet", "--all", "--message", "two");
  git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");
  const clone = join(dir, "clone");
  git(dir, "clone", "--quiet", origin, clone);
  const bin = join(dir, "bin");
  const argsFile = join(dir, "node-args");
  mkdirSync(bin);
  writeFileSync(join(bin, "node"), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > '${argsFile}'\n`);
  chmodSync(join(bin, "node"), 0o755);
  return { clone, bin, argsFile };
}

function runPlan(repo: ReturnType<typeof planRepo>, env: Record<string, string>): string[] {
  execFileSync(join(repo.clone, ".circleci", "scripts", "plan.sh"), ["/tmp/continue.yml"], {
    cwd: repo.clone,
    env: { ...process.env, ...GIT_ENV, PATH: `${repo.bin}:${process.env.PATH}`, ...env },
    stdio: "pipe",
  });
  return readFileSync(repo.argsFile, "utf8").trim().split("\n");
}

describe(".circleci/scripts/plan.sh", () => {
  it("on main compares with the pipeline's base revision", () => {
    const repo = planRepo();
    const args = runPlan(repo, {
      CIRCLE_BRANCH: "main",
      BASE_REVISION: "abc1234",
      MAIN_BRANCH: "main",
    });
    expect(args).toEqual([
      "scripts/bootstrap.mjs",
      "ops",
      "ci",
      "config",
      "--base",
      "abc1234",
      "--branch",
      "main",
      "--main-branch",
      "main",
      "--output",
      "/tmp/continue.yml",
    ]);
  });

  it("on main without a base revision compares with the previous commit", () => {
    const repo = planRepo();
    const args = runPlan(repo, { CIRCLE_BRANCH: "main", BASE_REVISION: "" });
    expect(args.slice(4, 6)).toEqual(["--base", "HEAD~1"]);
  });

  it("on another branch fetches main and compares with origin/main", () => {
    const repo = planRepo();
    git(repo.clone, "checkout", "--quiet", "-b", "feature/x");
    git(repo.clone, "update-ref", "-d", "refs/remotes/origin/main");
    const args = runPlan(repo, { CIRCLE_BRANCH: "feature/x", BASE_REVISION: "" });
    expect(args.slice(4, 8)).toEqual(["--base", "origin/main", "--branch", "feature/x"]);
    expect(
      git(repo.clone, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/main").trim(),
    ).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe(".circleci/scripts/aws-credentials.sh", () => {
  const script = join(REPO_ROOT, ".circleci", "scripts", "aws-credentials.sh");
  const run = (env: Record<string, string>) => {
    const bashEnv = join(dir, "bash-env");
    writeFileSync(bashEnv, "");
    const result = spawnSync("bash", [script], {
      env: { PATH: process.env.PATH ?? "", ...env, BASH_ENV: bashEnv },
      encoding: "utf8",
    });
    return { status: result.status, stderr: result.stderr, bashEnv: readFileSync(bashEnv, "utf8") };
  };

  it("lists every missing variable of the context at once", () => {
    const result = run({});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("AWS_REGION");
    expect(result.stderr).toContain("AWS_ACCOUNT_ID");
    expect(result.stderr).toContain("AWS_ROLE_ARN, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  });

  it("hands the OIDC token to the SDK's web identity chain when a role is set", () => {
    const result = run({
      AWS_REGION: "eu-west-1",
      AWS_ACCOUNT_ID: "123456789012",
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/ci",
      CIRCLE_OIDC_TOKEN_V2: "oidc-token",
      CIRCLE_BUILD_NUM: "42",
    });
    expect(result.status).toBe(0);
    const tokenFile = /AWS_WEB_IDENTITY_TOKEN_FILE='([^']+)'/.exec(result.bashEnv)?.[1] ?? "";
    expect(readFileSync(tokenFile, "utf8")).toBe("oidc-token");
    expect(result.bashEnv).toContain("export AWS_ROLE_SESSION_NAME='circleci-42'");
    rmSync(tokenFile);
  });

  it("accepts access keys from the context and exports nothing", () => {
    const result = run({
      AWS_REGION: "eu-west-1",
      AWS_ACCOUNT_ID: "123456789012",
      AWS_ACCESS_KEY_ID: "AKIA",
      AWS_SECRET_ACCESS_KEY: "secret",
    });
    expect(result.status).toBe(0);
    expect(result.bashEnv).toBe("");
  });
});

// The GitOps hand-off: a pull request to the manifests repository that sets the image tag of
// each pushed deployable to the commit SHA; ArgoCD deploys it once merged. Idempotent by
// construction: the branch is named from the SHA, an edit that changes nothing is not
// committed, and an open pull request for the branch is found instead of opened twice.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Octokit } from "@octokit/rest";
import type { DeployableName } from "@sagaworks/deployables";
import { type CiError, CiErrorCode, ciError } from "../errors.ts";
import { type CommandRunner, runChecked } from "./command-runner.ts";
import { setImageTags } from "./values-file.ts";

/** The branch a SHA's bump is pushed to. */
export function bumpBranchName(sha: string): string {
  return `deploy/${sha}`;
}

/** What `bumpManifests` needs. */
export interface BumpManifestsOptions {
  /** Clone URL of the manifests repository (https URL, SSH URL or local path). */
  repoUrl: string;
  /** The repository on GitHub, for the pull request. */
  owner: string;
  repo: string;
  /** The branch ArgoCD deploys from; the pull request targets it. */
  baseBranch: string;
  /** The Helm values file inside the manifests repository. */
  valuesFile: string;
  sha: string;
  deployables: readonly DeployableName[];
  /** An empty directory to clone into. */
  workDir: string;
  runner: CommandRunner;
  github: Octokit;
  /** Environment for git: identity, and the token header for https remotes. */
  gitEnv: Record<string, string>;
  log(line: string): void;
}

/** A pull request as the bump reports it. */
export interface BumpPullRequest {
  number: number;
  url: string;
  /** True when this run opened it; false when it was already open. */
  created: boolean;
}

/** What `bumpManifests` did. */
export interface BumpManifestsResult {
  branch: string;
  /** Deployables whose tag this run committed. */
  changed: DeployableName[];
  /** The commit this run pushed, or null when nothing needed committing. */
  commit: string | null;
  /** Null when the base branch already deploys this SHA (nothing to propose). */
  pullRequest: BumpPullRequest | null;
}

function githubError(action: string, owner: string, repo: string, error: unknown): CiError {
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    status === 401
      ? "GITHUB_TOKEN is missing, expired or revoked"
      : status === 403 || status === 404
        ? `the token cannot see or write ${owner}/${repo} (it needs contents and pull requests: write)`
        : "see GitHub's message";
  return ciError(
    CiErrorCode.githubFailed,
    `GitHub refused to ${action} on ${owner}/${repo} (${status ?? "no status"}): ${hint}: ${message}`,
    { details: { owner, repo, status }, cause: error },
  );
}

async function findOpenPullRequest(
  options: BumpManifestsOptions,
  branch: string,
): Promise<BumpPullRequest | null> {
  const { github, owner, repo, baseBranch } = options;
  try {
    const { data } = await github.rest.pulls.list({
      owner,
      repo,
      state: "open",
      head: `${owner}:${branch}`,
      base: baseBranch,
    });
    const found = data[0];
    return found ? { number: found.number, url: found.html_url, created: false } : null;
  } catch (error) {
    throw githubError("list pull requests", owner, repo, error);
  }
}

async function openPullRequest(
  options: BumpManifestsOptions,
  branch: string,
  tagsText: string,
): Promise<BumpPullRequest> {
  const { github, owner, repo, baseBranch, sha } = options;
  const existing = await findOpenPullRequest(options, branch);
  if (existing) {
    options.log(`pull request #${existing.number} is already open: ${existing.url}`);
    return existing;
  }
  try {
    const { data } = await github.rest.pulls.create({
      owner,
      repo,
      head: branch,
      base: baseBranch,
      title: `Deploy ${sha.slice(0, 12)}: ${options.deployables.join(", ")}`,
      body: [
        `Sets the image tag of ${options.deployables.join(", ")} to \`${sha}\` in \`${options.valuesFile}\`.`,
        "",
        tagsText,
        "",
        "Opened by `ops ci bump-manifests` in the Sagaworks pipeline; ArgoCD deploys it once merged.",
      ].join("\n"),
    });
    options.log(`opened pull request #${data.number}: ${data.html_url}`);
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    // Another run opened it between our list and create: GitHub answers 422. Use theirs.
    if ((error as { status?: number }).status === 422) {
      const raced = await findOpenPullRequest(options, branch);
      if (raced) return raced;
    }
    throw githubError("open a pull request", owner, repo, error);
  }
}

/** Clones the manifests repository, commits the new tags on the SHA's branch, opens the PR. */
export async function bumpManifests(options: BumpManifestsOptions): Promise<BumpManifestsResult> {
  const { runner, workDir, sha, baseBranch, valuesFile, log } = options;
  const git = (args: string[]) =>
    runChecked(runner, "git", args, { cwd: workDir, env: options.gitEnv });
  const branch = bumpBranchName(sha);
  const tags = options.deployables.map((name) => ({ name, tag: sha }));
  const tagsText = options.deployables.map((name) => `- ${name}: \`${sha}\``).join("\n");
  const file = join(workDir, valuesFile);
  const readValues = async () => {
    try {
      return await readFile(file, "utf8");
    } catch (error) {
      throw ciError(
        CiErrorCode.valuesPathMissing,
        `the manifests repository has no ${valuesFile} on ${baseBranch}`,
        {
          cause: error,
        },
      );
    }
  };

  log(`cloning ${options.repoUrl} (${baseBranch})`);
  await runChecked(
    runner,
    "git",
    [
      "clone",
      "--quiet",
      "--no-tags",
      "--single-branch",
      "--branch",
      baseBranch,
      options.repoUrl,
      workDir,
    ],
    { env: options.gitEnv },
  );

  // Already deployed: the base branch holds every tag, so there is nothing to propose.
  if (setImageTags(await readValues(), valuesFile, tags).changed.length === 0) {
    log(
      `${baseBranch} already deploys ${sha} for ${options.deployables.join(", ")}: nothing to do`,
    );
    return { branch, changed: [], commit: null, pullRequest: null };
  }

  const remote = await git(["ls-remote", "--heads", "origin", `refs/heads/${branch}`]);
  if (remote.trim() !== "") {
    log(`branch ${branch} exists: continuing from it`);
    await git([
      "fetch",
      "--quiet",
      "origin",
      `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
    ]);
    await git(["checkout", "--quiet", "-B", branch, `refs/remotes/origin/${branch}`]);
  } else {
    await git(["checkout", "--quiet", "-b", branch]);
  }

  const edit = setImageTags(await readValues(), valuesFile, tags);
  let commit: string | null = null;
  if (edit.changed.length > 0) {
    await writeFile(file, edit.text);
    await git(["add", "--", valuesFile]);
    await git([
      "commit",
      "--quiet",
      "--message",
      `Deploy ${sha.slice(0, 12)}: ${edit.changed.join(", ")}`,
      "--message",
      `Image tags set to ${sha} by the Sagaworks pipeline.`,
    ]);
    commit = (await git(["rev-parse", "HEAD"])).trim();
    await git(["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
    log(`pushed ${commit} to ${branch}`);
  } else {
    log(`${branch} already sets every tag: no new commit`);
  }

  const pullRequest = await openPullRequest(options, branch, tagsText);
  return { branch, changed: edit.changed, commit, pullRequest };
}

/**
 * Environment that lets git authenticate to an https remote with a token, without putting it
 * on a command line or in .git/config (git reads GIT_CONFIG_COUNT/KEY/VALUE since 2.31).
 */
export function gitTokenEnv(repoUrl: string, token: string): Record<string, string> {
  if (!repoUrl.startsWith("https://")) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_TERMINAL_PROMPT: "0",
  };
}

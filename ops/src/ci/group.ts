// `ops ci …`: the commands the CircleCI pipeline runs. Each sub-command parses its own options,
// reads its settings (listing every missing one), and writes text or --json to stdout.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ECRClient } from "@aws-sdk/client-ecr";
import { Octokit } from "@octokit/rest";
import {
  DEPLOYABLES,
  type Deployable,
  type DeployableName,
  HELM_VALUES_FILE,
} from "@sagaworks/deployables";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "../command.ts";
import { CiErrorCode, ciError } from "../errors.ts";
import { detectAffected, formatAffected } from "./affected.ts";
import { type CommandRunner, processRunner, runChecked } from "./command-runner.ts";
import { bumpManifests, gitTokenEnv } from "./gitops-bump.ts";
import { buildImage, pushImage } from "./image.ts";
import { buildPipelineConfig, MAIN_BRANCH, renderPipelineConfig } from "./pipeline-config.ts";
import { requireSettings } from "./settings.ts";

/** What the ci commands talk to; tests replace parts of it. */
export interface CiDependencies {
  /** Runs git, pnpm and docker (default: real processes with the command's environment). */
  runner?: (io: OpsIo) => CommandRunner;
  /** The ECR client of a region (default: the SDK's, with its credential chain). */
  ecr?: (region: string) => ECRClient;
  /** The GitHub client (default: Octokit with the token, at the API base URL). */
  github?: (options: { token: string; baseUrl: string }) => Octokit;
}

/** A sub-command's options as `parseArgs` reads them, strictly: an unknown option is an error. */
function parseOptions<const Options extends NonNullable<ParseArgsConfig["options"]>>(
  argv: readonly string[],
  options: Options,
) {
  return parseArgs({ args: [...argv], options, strict: true }).values;
}

interface SubCommand {
  summary: string;
  usage: string;
  run(argv: readonly string[], io: OpsIo, deps: Required<CiDependencies>): Promise<number>;
}

const affectedCommand: SubCommand = {
  summary: "list the packages and deployables a diff affects",
  usage: [
    "Usage: ops ci affected --base <ref> [--json]",
    "",
    "Lists the workspace packages (to lint and test) and the deployables (to build and push)",
    "affected by the changes since the merge base of <ref> and HEAD, working tree included.",
    "pnpm's dependency graph decides which packages depend on a changed one; shared build",
    "config (lockfile, root package.json, tsconfig.base.json, pnpm-workspace.yaml) affects",
    "everything, saga-definitions/ the orchestrator, documentation nothing.",
    "",
    "Options:",
    "  --base <ref>   branch, tag or commit to compare with (required)",
    "  --json         print the report as JSON",
    "  --help         show this help",
    "",
  ].join("\n"),
  async run(argv, io, deps) {
    const values = parseOptions(argv, { base: { type: "string" }, json: { type: "boolean" } });
    if (!values.base) throw new UsageError("--base <ref> is required");
    const report = await detectAffected({
      cwd: io.cwd,
      base: values.base,
      runner: deps.runner(io),
    });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatAffected(report));
    return ExitCode.ok;
  },
};

const configCommand: SubCommand = {
  summary: "generate the continuation config of the CircleCI pipeline",
  usage: [
    "Usage: ops ci config --base <ref> --branch <name> [--main-branch main] [--output <file>] [--json]",
    "",
    "Runs the change detection (as `ops ci affected`) and writes the CircleCI config that the",
    "setup workflow continues with: lint and test the affected packages (everything on the main",
    "branch), build the affected deployables' images on other branches, build and push them to",
    "ECR and open the manifests pull request on the main branch.",
    "",
    "Options:",
    "  --base <ref>           branch, tag or commit to compare with (required)",
    "  --branch <name>        the branch being built (required; CircleCI: pipeline.git.branch)",
    `  --main-branch <name>   the branch that pushes and deploys (default ${MAIN_BRANCH})`,
    "  --output <file>        write the config there instead of stdout",
    "  --json                 write the config as JSON instead of YAML",
    "  --help                 show this help",
    "",
  ].join("\n"),
  async run(argv, io, deps) {
    const values = parseOptions(argv, {
      base: { type: "string" },
      branch: { type: "string" },
      "main-branch": { type: "string" },
      output: { type: "string" },
      json: { type: "boolean" },
    });
    const missing = [!values.base && "--base <ref>", !values.branch && "--branch <name>"];
    if (missing.some(Boolean)) {
      throw new UsageError(`${missing.filter(Boolean).join(" and ")} required`);
    }
    const report = await detectAffected({
      cwd: io.cwd,
      base: values.base as string,
      runner: deps.runner(io),
    });
    const config = buildPipelineConfig(report, {
      branch: values.branch as string,
      mainBranch: values["main-branch"] ?? MAIN_BRANCH,
    });
    const text = values.json
      ? `${JSON.stringify(config, null, 2)}\n`
      : renderPipelineConfig(config, report);
    if (values.output) {
      const file = resolve(io.cwd, values.output);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
      io.stderr(formatAffected(report));
      io.stderr(`\nPipeline config written to ${file}\n`);
    } else {
      io.stdout(text);
    }
    return ExitCode.ok;
  },
};

function findDeployable(name: string | undefined): Deployable {
  const names = DEPLOYABLES.map((deployable) => deployable.name).join(", ");
  if (!name) throw new UsageError(`--deployable <name> is required (one of ${names})`);
  const deployable = DEPLOYABLES.find((candidate) => candidate.name === name);
  if (!deployable) throw new UsageError(`unknown deployable "${name}" (one of ${names})`);
  return deployable;
}

async function repoRoot(io: OpsIo, runner: CommandRunner): Promise<string> {
  return (
    await runChecked(runner, "git", ["rev-parse", "--show-toplevel"], { cwd: io.cwd })
  ).trim();
}

const SHA_SETTING = { option: "sha", env: "CIRCLE_SHA1", description: "commit SHA, the image tag" };

/** The options of the commands that build an image: which deployable, its tag, and --json. */
const IMAGE_OPTIONS = {
  deployable: { type: "string" },
  sha: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The help lines of {@link IMAGE_OPTIONS}' deployable and tag. */
const IMAGE_OPTIONS_USAGE = [
  `  --deployable <name>  one of ${DEPLOYABLES.map((d) => d.name).join(", ")} (required)`,
  "  --sha <commit>       the tag (default $CIRCLE_SHA1)",
];

/** Where a ci command's progress goes: stderr, so that stdout carries only its result. */
const progress =
  (io: OpsIo) =>
  (line: string): void =>
    io.stderr(`${line}\n`);

const buildImageCommand: SubCommand = {
  summary: "build a deployable's image locally (branches: checks the Dockerfile builds)",
  usage: [
    "Usage: ops ci build-image --deployable <name> [--sha <commit>] [--json]",
    "",
    "Runs `docker build --file <deployable path>/Dockerfile .` from the repository root and tags",
    "the image sagaworks/<name>:<sha>. Nothing is pushed.",
    "",
    "Options:",
    ...IMAGE_OPTIONS_USAGE,
    "  --json               print { deployable, image } as JSON",
    "  --help               show this help",
    "",
  ].join("\n"),
  async run(argv, io, deps) {
    const values = parseOptions(argv, IMAGE_OPTIONS);
    const deployable = findDeployable(values.deployable);
    const settings = requireSettings({ sha: SHA_SETTING }, values, io.env);
    const runner = deps.runner(io);
    const image = await buildImage({
      deployable,
      sha: settings.sha,
      repoRoot: await repoRoot(io, runner),
      runner,
      log: progress(io),
    });
    io.stdout(
      values.json ? `${JSON.stringify({ deployable: deployable.name, image })}\n` : `${image}\n`,
    );
    return ExitCode.ok;
  },
};

const pushImageCommand: SubCommand = {
  summary: "build a deployable's image and push it to ECR, tagged with the commit SHA",
  usage: [
    "Usage: ops ci push-image --deployable <name> [--sha <commit>] [--region <r>] [--account-id <id>] [--json]",
    "",
    "Makes sure the ECR repository sagaworks/<name> exists with immutable tags, scan on push and a",
    "lifecycle policy (created when missing), skips everything when <sha> is already in it, else",
    "builds <deployable path>/Dockerfile from the repository root, logs docker in with an ECR",
    "token and pushes. Prints the image URI on stdout; progress goes to stderr.",
    "",
    "Options:",
    ...IMAGE_OPTIONS_USAGE,
    "  --region <region>    the registry's region (default $AWS_REGION)",
    "  --account-id <id>    the account owning the registry (default $AWS_ACCOUNT_ID)",
    "  --json               print the result as JSON",
    "  --help               show this help",
    "",
    "Credentials come from the AWS SDK's default chain (OIDC web identity or access keys).",
    "",
  ].join("\n"),
  async run(argv, io, deps) {
    const values = parseOptions(argv, {
      ...IMAGE_OPTIONS,
      region: { type: "string" },
      "account-id": { type: "string" },
    });
    const deployable = findDeployable(values.deployable);
    const settings = requireSettings(
      {
        sha: SHA_SETTING,
        region: { option: "region", env: "AWS_REGION", description: "region of the ECR registry" },
        accountId: {
          option: "account-id",
          env: "AWS_ACCOUNT_ID",
          description: "AWS account that owns the registry",
        },
      },
      values,
      io.env,
    );
    const runner = deps.runner(io);
    const result = await pushImage({
      deployable,
      sha: settings.sha,
      accountId: settings.accountId,
      repoRoot: await repoRoot(io, runner),
      ecr: deps.ecr(settings.region),
      runner,
      log: progress(io),
    });
    io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${result.imageUri}\n`);
    return ExitCode.ok;
  },
};

const DEFAULT_GITHUB_API = "https://api.github.com";

function parseDeployableList(list: string | undefined): DeployableName[] {
  const names = DEPLOYABLES.map((deployable) => deployable.name);
  if (!list) throw new UsageError(`--deployables <a,b,…> is required (of ${names.join(", ")})`);
  const wanted = list
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = wanted.filter((name) => !names.includes(name as DeployableName));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new UsageError(
      `unknown deployable(s) ${unknown.join(", ") || "(none given)"} (of ${names.join(", ")})`,
    );
  }
  // DEPLOYABLES order, once each, so the same set always makes the same commit and title.
  return names.filter((name) => wanted.includes(name));
}

const bumpManifestsCommand: SubCommand = {
  summary: "open the pull request that sets the new image tags in the manifests repository",
  usage: [
    "Usage: ops ci bump-manifests --deployables <a,b,…> [--sha <commit>] [--json]",
    "",
    "Clones the manifests repository, sets <name>.image.tag to <sha> for each deployable in the",
    `Helm values file (comments and order kept), commits on the branch deploy/<sha>, pushes it and`,
    "opens a pull request through the GitHub REST API. A second run for the same SHA changes",
    "nothing and finds the open pull request; when the base branch already has the tags it does",
    "nothing at all. Prints the pull request's URL.",
    "",
    "Options:",
    "  --deployables <list>  comma-separated deployables whose image was pushed (required)",
    "  --sha <commit>        the tag (default $CIRCLE_SHA1)",
    "  --json                print the result as JSON",
    "  --help                show this help",
    "",
    "Environment:",
    "  MANIFESTS_REPO         owner/name of the manifests repository on GitHub (required)",
    "  GITHUB_TOKEN           token with contents and pull requests: write on it (required)",
    "  MANIFESTS_REPO_URL     clone URL (default https://github.com/<MANIFESTS_REPO>.git)",
    "  MANIFESTS_BASE_BRANCH  branch ArgoCD deploys from (default main)",
    `  MANIFESTS_VALUES_FILE  values file in that repository (default ${HELM_VALUES_FILE})`,
    `  GITHUB_API_URL         REST API base URL (default ${DEFAULT_GITHUB_API})`,
    "",
  ].join("\n"),
  async run(argv, io, deps) {
    const values = parseOptions(argv, {
      deployables: { type: "string" },
      sha: { type: "string" },
      json: { type: "boolean" },
    });
    const deployables = parseDeployableList(values.deployables);
    const settings = requireSettings(
      {
        sha: SHA_SETTING,
        repository: {
          env: "MANIFESTS_REPO",
          description: "owner/name of the manifests repository",
        },
        token: {
          env: "GITHUB_TOKEN",
          description: "GitHub token that can push and open pull requests",
        },
      },
      values,
      io.env,
    );
    const [owner, repo, ...rest] = settings.repository.split("/");
    if (!owner || !repo || rest.length > 0) {
      throw ciError(
        CiErrorCode.settingsMissing,
        `$MANIFESTS_REPO must be owner/name, got "${settings.repository}"`,
      );
    }
    const repoUrl = io.env.MANIFESTS_REPO_URL || `https://github.com/${owner}/${repo}.git`;
    const workDir = await mkdtemp(join(tmpdir(), "sagaworks-manifests-"));
    try {
      const result = await bumpManifests({
        repoUrl,
        owner,
        repo,
        baseBranch: io.env.MANIFESTS_BASE_BRANCH || "main",
        valuesFile: io.env.MANIFESTS_VALUES_FILE || HELM_VALUES_FILE,
        sha: settings.sha,
        deployables,
        workDir: join(workDir, "clone"),
        runner: deps.runner(io),
        github: deps.github({
          token: settings.token,
          baseUrl: io.env.GITHUB_API_URL || DEFAULT_GITHUB_API,
        }),
        gitEnv: {
          GIT_AUTHOR_NAME: io.env.GIT_AUTHOR_NAME || "Sagaworks CI",
          GIT_AUTHOR_EMAIL: io.env.GIT_AUTHOR_EMAIL || "ci@sagaworks.invalid",
          GIT_COMMITTER_NAME: io.env.GIT_COMMITTER_NAME || "Sagaworks CI",
          GIT_COMMITTER_EMAIL: io.env.GIT_COMMITTER_EMAIL || "ci@sagaworks.invalid",
          ...gitTokenEnv(repoUrl, settings.token),
        },
        log: progress(io),
      });
      if (values.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      else
        io.stdout(
          `${result.pullRequest?.url ?? "nothing to deploy: the base branch has these tags"}\n`,
        );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    return ExitCode.ok;
  },
};

function groupUsage(commands: Record<string, SubCommand>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    "Usage: ops ci <sub-command> [options]",
    "",
    "The CircleCI pipeline's steps, runnable locally. Sub-commands:",
    ...Object.entries(commands).map(
      ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
    ),
    "",
    "Each sub-command takes --help. Exit status: 0 ok, 1 failure, 2 bad usage.",
    "",
  ].join("\n");
}

/** Builds the `ci` command group with the given dependencies (real ones by default). */
export function createCiGroup(dependencies: CiDependencies = {}): CommandGroup {
  const deps: Required<CiDependencies> = {
    runner: dependencies.runner ?? ((io) => processRunner({ ...process.env, ...io.env })),
    // Adaptive retries absorb ECR's throttling before an error reaches the command.
    ecr:
      dependencies.ecr ??
      ((region) => new ECRClient({ region, maxAttempts: 8, retryMode: "adaptive" })),
    github:
      dependencies.github ??
      (({ token, baseUrl }) =>
        new Octokit({
          auth: token,
          baseUrl,
          userAgent: "sagaworks-ci",
          // Failed requests become CiErrors that say what to do; Octokit's own lines would
          // only repeat them (and make an expected 422 race look like a failure).
          log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} },
        })),
  };
  const commands: Record<string, SubCommand> = {
    affected: affectedCommand,
    config: configCommand,
    "build-image": buildImageCommand,
    "push-image": pushImageCommand,
    "bump-manifests": bumpManifestsCommand,
  };
  const usage = groupUsage(commands);
  return {
    name: "ci",
    summary: "CI steps: affected packages, pipeline config, image push, GitOps bump",
    usage,
    async run(argv, io) {
      const [name, ...rest] = argv;
      if (name === undefined) throw new UsageError("a sub-command is required");
      const command = commands[name];
      if (!command) throw new UsageError(`unknown sub-command "${name}"`);
      if (rest.includes("--help") || rest.includes("-h")) {
        io.stdout(command.usage);
        return ExitCode.ok;
      }
      try {
        return await command.run(rest, io, deps);
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(`${name}: ${error.message}`);
        throw error;
      }
    },
  };
}

/** The `ci` group as registered in run-ops.ts. */
export const ciGroup: CommandGroup = createCiGroup();

// The continuation config: the CircleCI pipeline generated from what a diff affects. The setup
// workflow (.circleci/config.yml) runs `ops ci config`, which writes this, and the continuation
// orb runs it. Pure: the report and the branch in, a config object out.
import { stringify } from "yaml";
import type { AffectedReport } from "./affected.ts";

/** The build image of every job; Node 24 as the project targets. Bump with the setup config. */
export const NODE_IMAGE = "cimg/node:24.0.1";
/** The Postgres service container of the test job. */
export const POSTGRES_IMAGE = "cimg/postgres:16.4";
/** The branch that runs the full test suite, pushes images and bumps the manifests. */
export const MAIN_BRANCH = "main";
/** The CircleCI context holding the AWS settings (see .circleci/README.md). */
export const AWS_CONTEXT = "sagaworks-aws";
/** The CircleCI context holding the GitHub token and the manifests repository. */
export const GITOPS_CONTEXT = "sagaworks-gitops";
/** Where the test job's Postgres listens, as .ci/run expects it. */
export const TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/** A CircleCI config, as plain data. */
export type PipelineConfig = Record<string, unknown>;

/** What besides the report decides the pipeline. */
export interface PipelineOptions {
  /** The branch being built (CircleCI's pipeline.git.branch). */
  branch: string;
  /** The branch that pushes and deploys (default `main`). */
  mainBranch?: string;
}

/** A step that runs the shell `command`, shown as `name`. */
function runStep(name: string, command: string): { run: { name: string; command: string } } {
  return { run: { name, command } };
}

/** A job on `executor` whose `steps` run on the checked-out, installed repository. */
function checkedOutJob(executor: string, steps: unknown[]): Record<string, unknown> {
  return { executor, steps: ["checkout", "install", ...steps] };
}

const installCommand = {
  description: "Node 24, the pinned pnpm and the frozen lockfile, through the project's bootstrap",
  steps: [
    { restore_cache: { keys: ['pnpm-store-v1-{{ checksum "pnpm-lock.yaml" }}'] } },
    runStep(
      "Install (scripts/bootstrap.mjs)",
      [
        "node scripts/bootstrap.mjs ops --version",
        `echo 'export PATH="$PWD/.tools/node_modules/.bin:$PATH"' >> "$BASH_ENV"`,
      ].join("\n"),
    ),
    {
      save_cache: {
        key: 'pnpm-store-v1-{{ checksum "pnpm-lock.yaml" }}',
        paths: ["~/.local/share/pnpm/store"],
      },
    },
  ],
};

/**
 * The step that compares the saga definitions with their base (`.ci/saga-diff`: the merge base
 * with main on a branch, HEAD~1 on main). It runs in the lint job: static, no database.
 */
export function sagaDiffStep(mainBranch: string): Record<string, unknown> {
  return {
    run: {
      name: "Saga definitions against their base (saga diff)",
      command: ".ci/saga-diff",
      environment: { MAIN_BRANCH: mainBranch },
    },
  };
}

function lintJob(
  report: AffectedReport,
  full: boolean,
  mainBranch: string,
): Record<string, unknown> {
  const command = full
    ? "node scripts/bootstrap.mjs lint:run"
    : [
        `pnpm exec biome check ${report.packages.map((pkg) => pkg.path).join(" ")}`,
        "pnpm exec tsc --noEmit -p tsconfig.json",
      ].join("\n");
  return checkedOutJob("node", [
    runStep(full ? "Biome and tsc, whole repository" : "Biome on affected packages, tsc", command),
    sagaDiffStep(mainBranch),
  ]);
}

function testJob(report: AffectedReport, full: boolean): Record<string, unknown> {
  const filters = full ? "" : ` ${report.packages.map((pkg) => `${pkg.path}/`).join(" ")}`;
  return checkedOutJob("node-postgres", [
    runStep(
      "Postgres client (pg_isready, used by .ci/run)",
      "sudo apt-get update -qq && sudo apt-get install -y -qq postgresql-client",
    ),
    runStep(
      "Wait for the Postgres service container",
      [
        "for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 1; done",
        'echo "Postgres did not accept connections within 60 s"; exit 1',
      ].join("\n"),
    ),
    runStep(
      full ? "Full test suite (.ci/run)" : "Tests of affected packages (.ci/run)",
      `.ci/run --skip-lint${filters}`,
    ),
    { store_artifacts: { path: ".ci/out" } },
  ]);
}

const deployableParameter = {
  deployable: { type: "string", description: "Name of the deployable (@sagaworks/deployables)" },
};

const buildImageJob = {
  parameters: deployableParameter,
  executor: "node",
  steps: [
    "checkout",
    "setup_remote_docker",
    "install",
    runStep(
      "Build the image (not pushed outside main)",
      'pnpm ops ci build-image --deployable << parameters.deployable >> --sha "$CIRCLE_SHA1"',
    ),
  ],
};

const pushImageJob = {
  parameters: deployableParameter,
  executor: "node",
  steps: [
    "checkout",
    "setup_remote_docker",
    "install",
    runStep("AWS credentials", ".circleci/scripts/aws-credentials.sh"),
    runStep(
      "Build and push to ECR, tagged with the commit SHA",
      'pnpm ops ci push-image --deployable << parameters.deployable >> --sha "$CIRCLE_SHA1"',
    ),
  ],
};

function bumpJob(names: readonly string[]): Record<string, unknown> {
  return checkedOutJob("node", [
    runStep(
      "Pull request to the manifests repository",
      `pnpm ops ci bump-manifests --sha "$CIRCLE_SHA1" --deployables ${names.join(",")}`,
    ),
  ]);
}

/** Job name of a deployable's image job: build-image-<name> or push-image-<name>. */
export function imageJobName(kind: "build" | "push", deployable: string): string {
  return `${kind}-image-${deployable}`;
}

/** The continuation config for `report` on `branch`. See .circleci/README.md for the rules. */
export function buildPipelineConfig(
  report: AffectedReport,
  options: PipelineOptions,
): PipelineConfig {
  const onMain = options.branch === (options.mainBranch ?? MAIN_BRANCH);
  const full = onMain || report.full;
  const hasWork = full || report.packages.length > 0 || report.deployables.length > 0;
  const jobs: Record<string, unknown> = {};
  const workflow: unknown[] = [];

  if (!hasWork) {
    jobs["nothing-affected"] = {
      executor: "node",
      steps: [
        runStep(
          "Nothing to lint, test or build",
          `echo "Only documentation changed since ${report.base}: nothing to lint, test or build."`,
        ),
      ],
    };
    workflow.push("nothing-affected");
  } else {
    jobs.lint = lintJob(report, full, options.mainBranch ?? MAIN_BRANCH);
    jobs.test = testJob(report, full);
    workflow.push("lint", "test");
  }

  const names = report.deployables.map((deployable) => deployable.name);
  if (names.length > 0) {
    const kind = onMain ? "push" : "build";
    jobs[`${kind}-image`] = onMain ? pushImageJob : buildImageJob;
    for (const name of names) {
      const entry: Record<string, unknown> = {
        name: imageJobName(kind, name),
        deployable: name,
        requires: ["lint", "test"],
      };
      if (onMain) entry.context = [AWS_CONTEXT];
      workflow.push({ [`${kind}-image`]: entry });
    }
    if (onMain) {
      jobs["bump-manifests"] = bumpJob(names);
      workflow.push({
        "bump-manifests": {
          context: [GITOPS_CONTEXT],
          requires: names.map((name) => imageJobName("push", name)),
        },
      });
    }
  }

  return {
    version: 2.1,
    executors: {
      node: { docker: [{ image: NODE_IMAGE }] },
      "node-postgres": {
        docker: [
          { image: NODE_IMAGE },
          {
            image: POSTGRES_IMAGE,
            environment: {
              POSTGRES_USER: "postgres",
              POSTGRES_DB: "test",
              POSTGRES_HOST_AUTH_METHOD: "trust",
            },
          },
        ],
        environment: { DATABASE_URL: TEST_DATABASE_URL },
      },
    },
    commands: { install: installCommand },
    jobs,
    workflows: { affected: { jobs: workflow } },
  };
}

/** The config as YAML, with a header saying where it comes from. */
export function renderPipelineConfig(config: PipelineConfig, report: AffectedReport): string {
  const header = [
    "# Generated by `ops ci config` in the setup workflow; do not edit.",
    `# Base: ${report.base}${report.mergeBase ? ` (${report.mergeBase})` : ""}.`,
    `# Deployables: ${report.deployables.map((d) => d.name).join(", ") || "none"}.`,
  ].join("\n");
  return `${header}\n${stringify(config, { lineWidth: 0 })}`;
}

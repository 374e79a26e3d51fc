// Validates the generated continuation config: CircleCI structure (jobs, executors, commands,
// parameters, requires), every script, folder, package script, binary and `ops ci` sub-command
// it references exists in this repository, and every affected deployable has its image job.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEPLOYABLES, type DeployableName } from "@sagaworks/deployables";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { OpsIo } from "../command.ts";
import type { AffectedReport } from "./affected.ts";
import { createCiGroup } from "./group.ts";
import {
  AWS_CONTEXT,
  buildPipelineConfig,
  GITOPS_CONTEXT,
  NODE_IMAGE,
  POSTGRES_IMAGE,
  renderPipelineConfig,
} from "./pipeline-config.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BUILT_IN_STEPS = new Set([
  "checkout",
  "setup_remote_docker",
  "run",
  "restore_cache",
  "save_cache",
  "store_artifacts",
  "store_test_results",
  "persist_to_workspace",
  "attach_workspace",
  "add_ssh_keys",
]);
const WORKFLOW_ENTRY_KEYS = new Set(["name", "requires", "context", "filters", "type", "matrix"]);

type Obj = Record<string, unknown>;
const asObj = (value: unknown): Obj => (value ?? {}) as Obj;

function silentIo(): OpsIo {
  return { stdout: () => {}, stderr: () => {}, env: {}, cwd: ROOT, isTty: false };
}

/** Every `run` command of a job, commands (reusable) expanded. */
function runCommands(steps: unknown[], commands: Obj): string[] {
  const out: string[] = [];
  for (const step of steps) {
    const [name, body] =
      typeof step === "string" ? [step, {}] : (Object.entries(asObj(step))[0] ?? []);
    if (name === "run") {
      out.push(typeof body === "string" ? body : String(asObj(body).command));
    } else if (name && name in commands) {
      out.push(...runCommands((asObj(commands[name]).steps ?? []) as unknown[], commands));
    }
  }
  return out;
}

/** Every problem found in a config; an empty list means it is valid. */
async function problemsOf(config: Obj): Promise<string[]> {
  const problems: string[] = [];
  const rootPackage = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const ci = createCiGroup();
  if (config.version !== 2.1) problems.push(`version is ${String(config.version)}, not 2.1`);
  const jobs = asObj(config.jobs);
  const executors = asObj(config.executors);
  const commands = asObj(config.commands);

  for (const [jobName, jobValue] of Object.entries(jobs)) {
    const job = asObj(jobValue);
    if (typeof job.executor === "string" && !(job.executor in executors)) {
      problems.push(`job ${jobName}: executor ${job.executor} is not defined`);
    }
    if (!job.executor && !job.docker) problems.push(`job ${jobName}: no executor`);
    const steps = (job.steps ?? []) as unknown[];
    if (steps.length === 0) problems.push(`job ${jobName}: no steps`);
    for (const step of steps) {
      const name = typeof step === "string" ? step : Object.keys(asObj(step))[0];
      if (name && !BUILT_IN_STEPS.has(name) && !(name in commands)) {
        problems.push(`job ${jobName}: step ${name} is neither built in nor a command`);
      }
    }
    for (const command of runCommands(steps, commands)) {
      const usedParams = [...command.matchAll(/<< parameters\.([\w-]+) >>/g)].map((m) => m[1]);
      for (const param of usedParams) {
        if (!param || !(param in asObj(job.parameters))) {
          problems.push(`job ${jobName}: parameter ${param} is not declared`);
        }
      }
      for (const [path] of command.matchAll(/(?:\.ci|\.circleci|scripts)\/[\w./-]+/g)) {
        if (!existsSync(join(ROOT, path))) problems.push(`job ${jobName}: ${path} does not exist`);
      }
      for (const line of command.split("\n")) {
        const executable = /^(\.ci\/[\w.-]+|\.circleci\/scripts\/[\w.-]+)/.exec(line)?.[1];
        if (executable) {
          try {
            accessSync(join(ROOT, executable), constants.X_OK);
          } catch {
            problems.push(`job ${jobName}: ${executable} is not executable`);
          }
        }
      }
      for (const [, script] of command.matchAll(/node scripts\/bootstrap\.mjs ([\w:-]+)/g)) {
        if (!script || !(script in rootPackage.scripts)) {
          problems.push(`job ${jobName}: package.json has no script ${script}`);
        }
      }
      for (const [, bin] of command.matchAll(/pnpm exec ([\w-]+)/g)) {
        if (!existsSync(join(ROOT, "node_modules", ".bin", bin ?? ""))) {
          problems.push(`job ${jobName}: no binary ${bin} in node_modules/.bin`);
        }
      }
      for (const [, sub] of command.matchAll(/pnpm ops ci ([\w-]+)/g)) {
        const status = await ci.run([sub ?? "", "--help"], silentIo()).catch(() => -1);
        if (status !== 0) problems.push(`job ${jobName}: ops ci ${sub} does not exist`);
      }
      const folders = [
        ...(/biome check (.+)/.exec(command)?.[1]?.split(" ") ?? []),
        ...(/\.ci\/run --skip-lint (.+)/.exec(command)?.[1]?.split(" ") ?? []),
      ];
      for (const folder of folders) {
        if (!existsSync(join(ROOT, folder)) || !statSync(join(ROOT, folder)).isDirectory()) {
          problems.push(`job ${jobName}: folder ${folder} does not exist`);
        }
      }
    }
  }

  for (const [workflowName, workflowValue] of Object.entries(asObj(config.workflows))) {
    const entries = (asObj(workflowValue).jobs ?? []) as unknown[];
    const names = entries.map((entry) =>
      typeof entry === "string"
        ? entry
        : String(asObj(Object.values(asObj(entry))[0]).name ?? Object.keys(asObj(entry))[0]),
    );
    if (new Set(names).size !== names.length) problems.push(`${workflowName}: duplicate job names`);
    for (const entry of entries) {
      const [jobName, params] =
        typeof entry === "string" ? [entry, {}] : (Object.entries(asObj(entry))[0] ?? ["", {}]);
      const job = asObj(jobs[jobName]);
      if (!(jobName in jobs)) problems.push(`${workflowName}: job ${jobName} is not defined`);
      const declared = asObj(job.parameters);
      for (const key of Object.keys(asObj(params))) {
        if (!WORKFLOW_ENTRY_KEYS.has(key) && !(key in declared)) {
          problems.push(`${workflowName}: ${jobName} gets undeclared parameter ${key}`);
        }
      }
      for (const [key, spec] of Object.entries(declared)) {
        if (!("default" in asObj(spec)) && !(key in asObj(params))) {
          problems.push(`${workflowName}: ${jobName} misses parameter ${key}`);
        }
      }
      for (const required of (asObj(params).requires ?? []) as string[]) {
        if (!names.includes(required)) {
          problems.push(`${workflowName}: ${jobName} requires unknown job ${required}`);
        }
      }
    }
  }
  return problems;
}

function report(overrides: Partial<AffectedReport>): AffectedReport {
  return {
    base: "origin/main",
    mergeBase: "0123456789abcdef0123456789abcdef01234567",
    changedFiles: [],
    full: false,
    fullReasons: [],
    packages: [],
    deployables: [],
    ...overrides,
  };
}

function deployables(...names: DeployableName[]): AffectedReport["deployables"] {
  return DEPLOYABLES.filter((d) => names.includes(d.name)).map((d) => ({
    name: d.name,
    path: d.path,
    reasons: ["changed"],
  }));
}

const ALL: DeployableName[] = ["orchestrator", "order", "account", "customer"];
const orderOnly = report({
  changedFiles: ["packages/services/order/src/index.ts"],
  packages: [
    { name: "@sagaworks/order-service", path: "packages/services/order" },
    { name: "@sagaworks/demo", path: "packages/tools/demo" },
  ],
  deployables: deployables("order"),
});
const messaging = report({
  changedFiles: ["packages/libraries/messaging/src/index.ts"],
  packages: [{ name: "@sagaworks/messaging", path: "packages/libraries/messaging" }],
  deployables: deployables(...ALL),
});
const docsOnly = report({ changedFiles: ["README.md"] });

/** The config as CircleCI would read it: rendered to YAML and parsed back. */
function generated(input: AffectedReport, branch: string): Obj {
  return parse(renderPipelineConfig(buildPipelineConfig(input, { branch }), input)) as Obj;
}

function workflowEntries(config: Obj): Obj[] {
  const jobs = asObj(asObj(asObj(config.workflows).affected)).jobs as unknown[];
  return jobs.map((entry) =>
    typeof entry === "string"
      ? { job: entry, name: entry }
      : (() => {
          const [job, params] = Object.entries(asObj(entry))[0] ?? ["", {}];
          return { job, ...asObj(params), name: asObj(params).name ?? job };
        })(),
  );
}

const entryNames = (config: Obj) => workflowEntries(config).map((entry) => entry.name);

describe("generated pipeline config", () => {
  it("is valid for every scenario, on a branch and on main", async () => {
    for (const input of [orderOnly, messaging, docsOnly]) {
      for (const branch of ["feature/x", "main"]) {
        expect(await problemsOf(generated(input, branch)), `${branch}`).toEqual([]);
      }
    }
  });

  it("on a branch, lints and tests the affected packages and builds only order", () => {
    const config = generated(orderOnly, "feature/x");
    expect(entryNames(config)).toEqual(["lint", "test", "build-image-order"]);
    const build = workflowEntries(config)[2];
    expect(build).toMatchObject({
      job: "build-image",
      deployable: "order",
      requires: ["lint", "test"],
    });
    const commands = runCommands(
      asObj(asObj(config.jobs).test).steps as unknown[],
      asObj(config.commands),
    );
    expect(commands).toContain(".ci/run --skip-lint packages/services/order/ packages/tools/demo/");
    const lint = runCommands(
      asObj(asObj(config.jobs).lint).steps as unknown[],
      asObj(config.commands),
    );
    expect(lint.join("\n")).toContain("biome check packages/services/order packages/tools/demo");
  });

  it("on main, runs the full suite, pushes every affected deployable and bumps after all pushes", () => {
    const config = generated(messaging, "main");
    expect(entryNames(config)).toEqual([
      "lint",
      "test",
      ...ALL.map((name) => `push-image-${name}`),
      "bump-manifests",
    ]);
    for (const name of ALL) {
      const entry = workflowEntries(config).find((e) => e.name === `push-image-${name}`);
      expect(entry).toMatchObject({ job: "push-image", deployable: name, context: [AWS_CONTEXT] });
    }
    const bump = workflowEntries(config).at(-1);
    expect(bump).toMatchObject({
      context: [GITOPS_CONTEXT],
      requires: ALL.map((name) => `push-image-${name}`),
    });
    const jobs = asObj(config.jobs);
    const test = runCommands(asObj(jobs.test).steps as unknown[], asObj(config.commands));
    expect(test).toContain(".ci/run --skip-lint");
    const bumpCommand = runCommands(asObj(jobs["bump-manifests"]).steps as unknown[], {});
    expect(bumpCommand[0]).toContain("--deployables orchestrator,order,account,customer");
  });

  it("runs the test job with a real Postgres service container", () => {
    const config = generated(orderOnly, "feature/x");
    const executor = asObj(
      asObj(config.executors)[String(asObj(asObj(config.jobs).test).executor)],
    );
    const images = (executor.docker as Obj[]).map((container) => container.image);
    expect(images).toEqual([NODE_IMAGE, POSTGRES_IMAGE]);
    expect(asObj(executor.environment).DATABASE_URL).toBe(
      "postgres://postgres@127.0.0.1:5432/test",
    );
  });

  it("builds nothing for documentation: a single no-op job on a branch, full tests on main", () => {
    expect(entryNames(generated(docsOnly, "feature/x"))).toEqual(["nothing-affected"]);
    expect(entryNames(generated(docsOnly, "main"))).toEqual(["lint", "test"]);
  });
});

describe("saga diff in the pipeline", () => {
  it("runs .ci/saga-diff in the lint job on branches and on main, as the local gate does", () => {
    for (const branch of ["feature/x", "main"]) {
      const config = generated(orderOnly, branch);
      const lint = asObj(asObj(config.jobs).lint).steps as Obj[];
      const step = lint.find((entry) => asObj(entry.run).command === ".ci/saga-diff");
      expect(step, branch).toBeDefined();
      expect(asObj(asObj(step).run).environment).toEqual({ MAIN_BRANCH: "main" });
    }
    const local = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(local).toContain(".ci/saga-diff");
    const script = readFileSync(join(ROOT, ".ci", "saga-diff"), "utf8");
    expect(script).toContain('git merge-base HEAD "$ref"');
    expect(script).toContain('base="HEAD~1"');
    expect(script).toContain("saga diff skipped: HEAD has no parent commit");
  });
});

describe("the config validator itself", () => {
  it("flags missing scripts, jobs, requirements, parameters and sub-commands", async () => {
    const broken = generated(orderOnly, "main") as Obj;
    const jobs = asObj(broken.jobs);
    asObj(asObj(jobs.test).steps as unknown as Obj)[4] = { run: { command: ".ci/no-such-gate" } };
    asObj(jobs["bump-manifests"]).steps = [{ run: { command: "pnpm ops ci deploy-everything" } }];
    const workflow = asObj(asObj(broken.workflows).affected).jobs as unknown[];
    workflow.push({ "push-image": { name: "push-image-extra", requires: ["lint", "qa"] } });
    workflow.push("release");
    expect(await problemsOf(broken)).toEqual([
      "job test: .ci/no-such-gate does not exist",
      "job test: .ci/no-such-gate is not executable",
      "job bump-manifests: ops ci deploy-everything does not exist",
      "affected: push-image misses parameter deployable",
      "affected: push-image requires unknown job qa",
      "affected: job release is not defined",
    ]);
  });
});

describe("setup config (.circleci/config.yml)", () => {
  const setup = parse(readFileSync(join(ROOT, ".circleci", "config.yml"), "utf8")) as Obj;

  it("is a dynamic-config setup workflow continuing with the generated config", () => {
    expect(setup.setup).toBe(true);
    expect(asObj(setup.orbs).continuation).toMatch(/^circleci\/continuation@\d+\.\d+\.\d+$/);
    const steps = asObj(asObj(setup.jobs).plan).steps as Obj[];
    const plan = steps.map((step) => asObj(step.run).command).find(Boolean) as string;
    const continueStep = asObj(
      steps.find((step) => typeof step === "object" && "continuation/continue" in step)?.[
        "continuation/continue"
      ],
    );
    // The plan script writes the file that the continue step sends.
    expect(plan).toBe(`.circleci/scripts/plan.sh ${String(continueStep.configuration_path)}`);
    const image = ((asObj(setup.jobs).plan as Obj).docker as Obj[])[0]?.image;
    expect(image).toBe(NODE_IMAGE);
  });

  it("references only scripts that exist and are executable", async () => {
    const plan = readFileSync(join(ROOT, ".circleci", "scripts", "plan.sh"), "utf8");
    expect(plan).toContain("ops ci config --base");
    const problems = await problemsOf({
      version: 2.1,
      jobs: {
        plan: { docker: [{ image: NODE_IMAGE }], steps: (asObj(setup.jobs).plan as Obj).steps },
      },
      commands: { "continuation/continue": {} },
    });
    expect(problems).toEqual([]);
  });
});

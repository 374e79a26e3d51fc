// `ops ci affected` on temporary git repositories holding this workspace's real manifests: the
// deployables a diff affects come from pnpm's graph plus the shared-config, definition and
// documentation rules.
import { afterEach, describe, expect, it } from "vitest";
import type { AffectedReport } from "../../src/ci/affected.ts";
import { ExitCode } from "../../src/command.ts";
import { runOps } from "../../src/run-ops.ts";
import { captureIo } from "../../src/testing/capture-io.ts";
import { createWorkspaceRepo, GIT_ENV, git, type WorkspaceRepo } from "./workspace-fixture.ts";

let repo: WorkspaceRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

async function affected(dir: string, base = "main"): Promise<AffectedReport> {
  const captured = captureIo(dir, { ...process.env, ...GIT_ENV });
  const status = await runOps(["ci", "affected", "--base", base, "--json"], captured.io);
  expect(captured.err()).toBe("");
  expect(status).toBe(ExitCode.ok);
  return JSON.parse(captured.out()) as AffectedReport;
}

const names = (report: AffectedReport) => report.deployables.map((d) => d.name);
const packagePaths = (report: AffectedReport) => report.packages.map((p) => p.path);

describe("ops ci affected", () => {
  it("a change to one service affects only that deployable", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ "packages/services/order/src/index.ts": "export const x = 1;\n" });
    const report = await affected(repo.dir);
    expect(names(report)).toEqual(["order"]);
    expect(report.full).toBe(false);
    expect(report.changedFiles).toEqual(["packages/services/order/src/index.ts"]);
    // The demo and the end-to-end suite run the order service, so pnpm selects them to test.
    expect(packagePaths(report)).toContain("packages/services/order");
    expect(packagePaths(report)).not.toContain("packages/services/account");
    expect(packagePaths(report)).not.toContain("packages/libraries/messaging");
  });

  it("a change to packages/libraries/messaging affects all four deployables through the graph", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ "packages/libraries/messaging/src/index.ts": "export const y = 2;\n" });
    const report = await affected(repo.dir);
    expect(names(report)).toEqual(["orchestrator", "order", "account", "customer"]);
    expect(report.full).toBe(false);
    for (const deployable of report.deployables) {
      expect(deployable.reasons.join()).toContain("dependencies changed");
    }
    expect(packagePaths(report)).toContain("packages/libraries/messaging");
    expect(packagePaths(report)).not.toContain("packages/libraries/saga-engine");
  });

  it("a change to a saga definition affects the orchestrator only", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ "saga-definitions/create-order.saga.json": '{ "changed": true }\n' });
    const report = await affected(repo.dir);
    expect(names(report)).toEqual(["orchestrator"]);
    expect(report.deployables[0]?.reasons).toEqual([
      "saga definitions changed: saga-definitions/create-order.saga.json",
      "@sagaworks/orchestrator or one of its dependencies changed",
    ]);
    expect(packagePaths(report)).toContain("packages/services/orchestrator");
    expect(report.full).toBe(false);
  });

  it("a documentation-only change affects nothing", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({
      "README.md": "# changed\n",
      "packages/libraries/messaging/README.md": "# messaging, explained better\n",
      "saga-definitions/README.md": "# how to write a saga\n",
      "docs/runbook.md": "# runbook\n",
    });
    const report = await affected(repo.dir);
    expect(report.changedFiles).toHaveLength(4);
    expect(report.deployables).toEqual([]);
    expect(report.packages).toEqual([]);
    expect(report.full).toBe(false);
  });

  it("a lockfile change affects everything", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" });
    const report = await affected(repo.dir);
    expect(names(report)).toEqual(["orchestrator", "order", "account", "customer"]);
    expect(report.full).toBe(true);
    expect(report.fullReasons).toEqual(["shared build config changed: pnpm-lock.yaml"]);
    expect(packagePaths(report)).toContain("packages/libraries/saga-engine");
  });

  it("a CI file change tests everything but builds nothing", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ ".circleci/config.yml": "version: 2.1\n" });
    const report = await affected(repo.dir);
    expect(report.full).toBe(true);
    expect(report.deployables).toEqual([]);
    expect(packagePaths(report)).toContain("packages/libraries/messaging");
  });

  it("a base missing from the history affects everything, and says why", async () => {
    repo = createWorkspaceRepo();
    const report = await affected(repo.dir, "no-such-branch");
    expect(report.mergeBase).toBeNull();
    expect(names(report)).toEqual(["orchestrator", "order", "account", "customer"]);
    expect(report.fullReasons[0]).toContain("no-such-branch is not in this clone's history");
  });

  it("compares with the merge base: changes on main after the branch point do not count", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ "packages/services/customer/src/index.ts": "export const c = 3;\n" });
    git(repo.dir, "checkout", "--quiet", "main");
    repo.commitChange({ "packages/libraries/messaging/src/index.ts": "export const m = 4;\n" });
    git(repo.dir, "checkout", "--quiet", "feature");
    const report = await affected(repo.dir);
    expect(names(report)).toEqual(["customer"]);
  });

  it("prints a readable report without --json and exits 2 without --base", async () => {
    repo = createWorkspaceRepo();
    repo.commitChange({ "packages/services/account/src/index.ts": "export const a = 5;\n" });
    const text = captureIo(repo.dir, { ...process.env, ...GIT_ENV });
    expect(await runOps(["ci", "affected", "--base", "main"], text.io)).toBe(ExitCode.ok);
    expect(text.out()).toContain("Affected deployables (build and push):\n  account:");
    const missing = captureIo(repo.dir, { ...process.env, ...GIT_ENV });
    expect(await runOps(["ci", "affected"], missing.io)).toBe(ExitCode.usage);
    expect(missing.err()).toContain("--base <ref> is required");
  });
});

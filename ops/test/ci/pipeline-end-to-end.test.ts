// The "done when", end to end: a diff in a temporary workspace repository goes through
// `ops ci config` (the setup job's command), and the generated pipeline builds and pushes
// exactly the expected deployables on main.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ExitCode } from "../../src/command.ts";
import { runOps } from "../../src/run-ops.ts";
import { captureIo } from "../../src/testing/capture-io.ts";
import { createWorkspaceRepo, GIT_ENV, type WorkspaceRepo } from "./workspace-fixture.ts";

let repo: WorkspaceRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

/** Runs `ops ci config` as plan.sh does and returns the workflow's job names. */
async function pipelineJobs(files: Record<string, string>, branch: string): Promise<string[]> {
  repo = createWorkspaceRepo();
  repo.commitChange(files);
  const output = join(repo.dir, "continue.yml");
  const captured = captureIo(repo.dir, { ...process.env, ...GIT_ENV });
  const status = await runOps(
    ["ci", "config", "--base", "main", "--branch", branch, "--output", output],
    captured.io,
  );
  expect(status).toBe(ExitCode.ok);
  expect(captured.err()).toContain(`Pipeline config written to ${output}`);
  const config = parse(readFileSync(output, "utf8")) as {
    workflows: { affected: { jobs: (string | Record<string, { name?: string }>)[] } };
  };
  return config.workflows.affected.jobs.map((entry) =>
    typeof entry === "string"
      ? entry
      : (Object.values(entry)[0]?.name ?? Object.keys(entry)[0] ?? ""),
  );
}

describe("from a diff to the pipeline", () => {
  it("a change to the order service builds and pushes only order", async () => {
    const jobs = await pipelineJobs(
      { "packages/services/order/src/index.ts": "export const o = 1;\n" },
      "main",
    );
    expect(jobs).toEqual(["lint", "test", "push-image-order", "bump-manifests"]);
  });

  it("a change to packages/libraries/messaging builds and pushes all four", async () => {
    const jobs = await pipelineJobs(
      { "packages/libraries/messaging/src/index.ts": "export const m = 1;\n" },
      "main",
    );
    expect(jobs).toEqual([
      "lint",
      "test",
      "push-image-orchestrator",
      "push-image-order",
      "push-image-account",
      "push-image-customer",
      "bump-manifests",
    ]);
  });

  it("a change to a saga definition builds and pushes the orchestrator", async () => {
    const jobs = await pipelineJobs({ "saga-definitions/cancel-order.saga.json": "{}\n" }, "main");
    expect(jobs).toEqual(["lint", "test", "push-image-orchestrator", "bump-manifests"]);
  });

  it("a documentation change builds nothing (and on a branch runs nothing)", async () => {
    expect(
      await pipelineJobs({ "packages/libraries/messaging/README.md": "# better docs\n" }, "main"),
    ).toEqual(["lint", "test"]);
    repo?.remove();
    expect(await pipelineJobs({ "docs/adr-1.md": "# decision\n" }, "feature/docs")).toEqual([
      "nothing-affected",
    ]);
  });

  it("on a branch, builds the affected image without pushing or bumping", async () => {
    const jobs = await pipelineJobs(
      { "packages/services/account/src/index.ts": "export const a = 1;\n" },
      "feature/a",
    );
    expect(jobs).toEqual(["lint", "test", "build-image-account"]);
  });
});

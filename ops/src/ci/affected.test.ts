import { describe, expect, it } from "vitest";
import { type AffectedFacts, isDocumentation, summarizeAffected } from "./affected.ts";

const workspace = [
  { name: "sagaworks", path: "." },
  { name: "@sagaworks/messaging", path: "packages/libraries/messaging" },
  { name: "@sagaworks/orchestrator", path: "packages/services/orchestrator" },
  { name: "@sagaworks/order-service", path: "packages/services/order" },
  { name: "@sagaworks/account-service", path: "packages/services/account" },
  { name: "@sagaworks/customer-service", path: "packages/services/customer" },
];

function facts(overrides: Partial<AffectedFacts>): AffectedFacts {
  return {
    base: "main",
    mergeBase: "abc",
    changedFiles: [],
    workspace,
    selected: [],
    ...overrides,
  };
}

describe("summarizeAffected", () => {
  it("maps pnpm's selection to deployables and drops the root project", () => {
    const report = summarizeAffected(
      facts({
        changedFiles: ["packages/services/order/src/x.ts"],
        selected: [workspace[0], workspace[3]].filter((pkg) => pkg !== undefined),
      }),
    );
    expect(report.deployables.map((d) => d.name)).toEqual(["order"]);
    expect(report.packages).toEqual([
      { name: "@sagaworks/order-service", path: "packages/services/order" },
    ]);
  });

  it("treats every shared build file as affecting everything", () => {
    for (const file of [
      "pnpm-lock.yaml",
      "package.json",
      "tsconfig.base.json",
      "pnpm-workspace.yaml",
    ]) {
      const report = summarizeAffected(facts({ changedFiles: [file] }));
      expect(report.full).toBe(true);
      expect(report.deployables).toHaveLength(4);
      expect(report.packages).toHaveLength(workspace.length - 1);
    }
  });

  it("does not count a package's own package.json as the root one", () => {
    const report = summarizeAffected(
      facts({
        changedFiles: ["packages/libraries/messaging/package.json"],
        selected: [workspace[1]].filter((pkg) => pkg !== undefined),
      }),
    );
    expect(report.full).toBe(false);
    expect(report.deployables).toEqual([]);
  });

  it("ignores documentation wherever it is", () => {
    expect(isDocumentation("README.md")).toBe(true);
    expect(isDocumentation("packages/libraries/messaging/docs.MD")).toBe(true);
    expect(isDocumentation("docs/architecture.png")).toBe(true);
    expect(isDocumentation("packages/docs-kit/src/index.ts")).toBe(false);
    const report = summarizeAffected(facts({ changedFiles: ["README.md", "docs/a.png"] }));
    expect(report).toMatchObject({ full: false, deployables: [], packages: [] });
  });
});

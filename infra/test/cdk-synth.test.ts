import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const infra = fileURLToPath(new URL("..", import.meta.url));

describe("cdk synth", () => {
  // cdk.json's app goes through scripts/bootstrap.mjs, so this also runs on a Node too old to
  // strip TypeScript (`cd infra && npx cdk synth` on Node 20).
  it("synthesizes the app with the CDK CLI, with no AWS account, credentials or notices", async () => {
    const out = await mkdtemp(join(tmpdir(), "cdk-out-"));
    const result = spawnSync(
      process.execPath,
      [join(infra, "node_modules/aws-cdk/bin/cdk"), "synth", "--quiet", "--output", out],
      {
        cwd: infra,
        encoding: "utf8",
        // Only PATH and HOME: no AWS profile, region or credentials to lean on.
        env: { PATH: process.env.PATH ?? "", HOME: out, SAGAWORKS_ENV_PREFIX: "synth" },
        timeout: 120_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    const template = JSON.parse(
      await readFile(join(out, "sagaworks-synth.template.json"), "utf8"),
    ) as { Resources: Record<string, { Type: string; Properties?: { QueueName?: string } }> };
    const queues = Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::SQS::Queue")
      .map((r) => r.Properties?.QueueName);
    expect(queues).toContain("synth-order-commands");
    expect(result.stderr).not.toMatch(/NOTICES/);
    // Every feature flag is set in cdk.json, so the CLI has nothing to warn about.
    expect(result.stderr).not.toMatch(/feature flags/);
  }, 120_000);
});

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { describe, expect, inject, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

function topology(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the topology CLI", () => {
  it("exits 2 with the usage on a usage error", () => {
    for (const args of [
      [],
      ["destroy"],
      ["print", "--participants", "order"],
      ["print", "extra"],
    ]) {
      const result = topology(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain("usage: sagaworks-topology");
    }
    expect(topology(["apply"]).code).toBe(2);
  });

  it("prints the topology derived from the saga definitions and the settings", () => {
    const result = topology(["print"], { MAX_RECEIVE_COUNT: "4", SAGAWORKS_ENV_PREFIX: "qa" });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as {
      queues: { name: string; maxReceiveCount?: number }[];
      subscriptions: unknown[];
    };
    expect(printed.queues.map((q) => q.name)).toEqual([
      "qa-account-commands-dlq",
      "qa-account-commands",
      "qa-order-commands-dlq",
      "qa-order-commands",
      "qa-sagas-commands-dlq",
      "qa-sagas-commands",
      "qa-saga-replies-dlq",
      "qa-saga-replies",
      "qa-orchestrator-outside-events-dlq",
      "qa-orchestrator-outside-events",
    ]);
    expect(printed.queues.find((q) => q.name === "qa-order-commands")?.maxReceiveCount).toBe(4);
    expect(printed.subscriptions).toHaveLength(1);
  });

  it("applies once, then finds it up to date", () => {
    const env = {
      AWS_ENDPOINT_URL: inject("brokerEndpoint"),
      SAGAWORKS_ENV_PREFIX: uniqueTestName("cli apply", 28),
    };
    const first = topology(["apply"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("topology applied");
    const second = topology(["apply"], env);
    expect(second.stdout).toContain("topology already up to date");
  });
});

import { describe, expect, it } from "vitest";
import { ExitCode } from "../command.ts";
import { runOps } from "../run-ops.ts";
import { captureIo } from "../testing/capture-io.ts";

async function ops(...argv: string[]) {
  const { io, out, err } = captureIo(process.cwd());
  return { code: await runOps(argv, io), out: out(), err: err() };
}

describe("ops dlq and ops sagas usage", () => {
  it.each([
    ["dlq", "list", "Usage: ops dlq list"],
    ["dlq", "inspect", "Usage: ops dlq inspect <queue>"],
    ["dlq", "replay", "Usage: ops dlq replay <queue>"],
    ["dlq", "delete", "Usage: ops dlq delete <queue>"],
    ["dlq", "history", "Usage: ops dlq history"],
    ["sagas", "list", "Usage: ops sagas list"],
    ["sagas", "show", "Usage: ops sagas show <id>"],
    [
      "sagas",
      "retry",
      "Usage: ops sagas <retry|skip|compensate|resolve|complete-wait|reopen-wait>",
    ],
    [
      "sagas",
      "resolve",
      "Usage: ops sagas <retry|skip|compensate|resolve|complete-wait|reopen-wait>",
    ],
    [
      "sagas",
      "complete-wait",
      "Usage: ops sagas <retry|skip|compensate|resolve|complete-wait|reopen-wait>",
    ],
  ])("ops %s %s --help prints its usage and exits 0", async (group, sub, usage) => {
    const result = await ops(group, sub, "--help");
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out.startsWith(usage)).toBe(true);
  });

  it("exits 2 on bad usage before reading the environment", async () => {
    expect((await ops("dlq", "replay")).code).toBe(ExitCode.usage);
    expect((await ops("dlq", "replay", "q", "--rate", "0")).err).toContain(
      "--rate must be a whole number",
    );
    expect((await ops("dlq", "replay", "q", "--older-than", "soon")).code).toBe(ExitCode.usage);
    expect((await ops("dlq", "replay", "q", "--verdict", "poison")).err).toContain(
      "--verdict takes",
    );
    const waiting = await ops("dlq", "delete", "q", "--verdict", "stale,waiting");
    expect(waiting.code).toBe(ExitCode.usage);
    expect(waiting.err).toContain("a waiting saga still needs that message");
    expect((await ops("dlq", "delete", "q", "--verdict", "old")).err).toContain(
      "--verdict takes stale, poison, unknown-saga, archived, event",
    );
    expect((await ops("dlq", "delete")).code).toBe(ExitCode.usage);
    expect((await ops("dlq", "nope")).code).toBe(ExitCode.usage);
    expect((await ops("sagas", "list", "--status", "stuck")).code).toBe(ExitCode.usage);
    expect((await ops("sagas", "skip", "id", "--reason", "x", "--output", "[1")).code).toBe(
      ExitCode.usage,
    );
    expect((await ops("sagas", "retry", "id", "--reason", "x", "--output", "{}")).code).toBe(
      ExitCode.usage,
    );
  });

  it("exits 1 listing every missing setting when the environment is incomplete", async () => {
    const result = await ops("dlq", "inspect", "q");
    expect(result.code).toBe(ExitCode.failure);
    expect(result.err).toMatch(
      /AWS_ENDPOINT_URL[\s\S]*ORCHESTRATOR_URL[\s\S]*ORCHESTRATOR_API_TOKEN/,
    );
  });
});

import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startServiceProcess } from "../src/testing/index.ts";

const fixture = fileURLToPath(new URL("./fixtures/tiny-service.ts", import.meta.url));

interface Child {
  process: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

const children: Child[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null) child.process.kill("SIGKILL");
  }
});

function start(env: Record<string, string>): Child {
  const started = startServiceProcess(fixture, env);
  const handle = { process: started.child, lines: started.lines, exited: started.exited };
  children.push(handle);
  return handle;
}

async function waitForLine(child: Child, msg: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = child.lines.find((candidate) => candidate.msg === msg);
    if (line) return line;
    if (child.process.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no "${msg}" line; got ${JSON.stringify(child.lines)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("runService", () => {
  it("logs '<name> ready' with the address, serves, and shuts down on SIGTERM", async () => {
    const child = start({ PORT: "0" });
    const ready = await waitForLine(child, "tiny ready");
    expect(ready).toMatchObject({ name: "tiny", address: expect.stringMatching(/^http:\/\//) });
    const health = await fetch(`${ready.address}/health`);
    expect(await health.json()).toEqual({ status: "ok" });

    child.process.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const at = (msg: string) => child.lines.find((line) => line.msg === msg)?.time as number;
    expect(at("shut down")).toBeDefined();
    // The resource start opened is released after shutdown began. Compared by time, not by line
    // order: pino may flush a line that met a full pipe after the lines that followed it.
    expect(at("tiny resource released")).toBeGreaterThanOrEqual(at("shutting down"));
  });

  it("refuses to start with every config problem listed, exit code 1", async () => {
    const child = start({ PORT: "port", LOG_LEVEL: "loud", TINY_FAIL: "maybe" });
    expect(await child.exited).toBe(1);
    const fatal = child.lines.find((line) => line.level === 60) as
      | { msg: string; err: { message: string } }
      | undefined;
    expect(fatal?.msg).toBe("tiny cannot start");
    const message = fatal?.err.message ?? "";
    for (const variable of ["PORT", "LOG_LEVEL", "TINY_FAIL"]) expect(message).toContain(variable);
  });

  it("logs a failing start as fatal, releases what it opened, exit code 1", async () => {
    const child = start({ PORT: "0", TINY_FAIL: "yes" });
    expect(await child.exited).toBe(1);
    const fatal = child.lines.find((line) => line.level === 60);
    expect(fatal).toMatchObject({
      msg: "tiny cannot start",
      err: { message: "tiny refused to start" },
    });
    expect(child.lines.map((line) => line.msg)).toContain("tiny resource released");
  });
});

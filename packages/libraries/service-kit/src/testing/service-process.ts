import { type ChildProcess, spawn } from "node:child_process";

/** A service started as its own process, with its JSON log lines as they arrive. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Every JSON log line printed so far. */
  lines: Record<string, unknown>[];
  /** The exit code, once stdout has drained (so every log line has been read). */
  exited: Promise<number | null>;
  /** Waits for the `<name> ready` line that runService prints, and returns its address. */
  ready(name: string, timeoutMs?: number): Promise<string>;
  /** SIGTERM (SIGKILL if `force`), then waits for the exit. */
  stop(force?: boolean): Promise<number | null>;
}

/**
 * Starts `node <main>` with only PATH (and the test run's revision guard) and the given environment, collecting its JSON log lines.
 * For tests of a service as operators run it; call `stop()` (or kill `child`) afterwards.
 * `SAGAWORKS_ENV` defaults to `dev` (the embedded fallbacks); pass `SAGAWORKS_ENV: ""` to test
 * the production defaults.
 */
export function startServiceProcess(main: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? "",
      SAGAWORKS_ENV: "dev",
      // Test runs ask every orchestrator, children included, to guard the saga revision.
      ...(process.env.SAGAWORKS_TEST_REVISION_GUARD
        ? { SAGAWORKS_TEST_REVISION_GUARD: process.env.SAGAWORKS_TEST_REVISION_GUARD }
        : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Record<string, unknown>[] = [];
  let rest = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    for (const part of parts) {
      try {
        if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        // Not a log line.
      }
    }
  });
  // "close", not "exit": it fires once stdout has drained, so every log line has been read.
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  let closed = false;
  void exited.then(() => {
    closed = true;
  });
  return {
    child,
    lines,
    exited,
    async ready(name, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((entry) => entry.msg === `${name} ready`);
        if (line && typeof line.address === "string") return line.address;
        if (closed)
          throw new Error(`${name} exited before it was ready: ${JSON.stringify(lines.at(-1))}`);
        if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop(force = false) {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(force ? "SIGKILL" : "SIGTERM");
      return exited;
    },
  };
}

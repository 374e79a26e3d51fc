// Child processes of a benchmark run: started with an IPC channel (so a child notices when the
// runner dies and stops itself), registered so that every exit path of the runner ends them, and
// measured through /proc (CPU time, peak RSS) without their cooperation.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { BenchErrorCode, BenchErrors } from "./errors.ts";

/** A started child: its pid, its JSON log lines, and its IPC messages. */
export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Every JSON line it printed on stdout (pino logs, for the services' `<name> ready`). */
  lines: Record<string, unknown>[];
  /** Resolves with the first IPC message of this `type`; rejects if the child exits first. */
  message<T>(type: string, timeoutMs: number): Promise<T>;
  /** Resolves with the address of the `<name> ready` log line of runService. */
  ready(serviceName: string, timeoutMs: number): Promise<string>;
  /** Sends an IPC message. */
  send(message: unknown): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the exit code or signal once it has exited. */
  exited: Promise<string>;
}

const running = new Set<Child>();
const interruptHooks: (() => Promise<void>)[] = [];

/** Registers clean-up that runs after the children stopped when the runner is interrupted. */
export function onInterrupt(hook: () => Promise<void>): void {
  interruptHooks.push(hook);
}
let hooksInstalled = false;

/** Kills every child still running, at once (for `exit` handlers, which cannot wait). */
export function killAllNow(): void {
  for (const child of running) {
    try {
      child.process.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Stops every child still running, gracefully first. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // The last resort: whatever way the runner ends, no child outlives it.
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping the child processes\n`);
      void stopAll()
        .then(() => Promise.allSettled(interruptHooks.map((hook) => hook())))
        .finally(() => process.exit(130));
    });
  }
}

/** Options of {@link startChild}. */
export interface StartChildOptions {
  /** Environment on top of PATH (nothing else of the runner's environment leaks in). */
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  execArgv?: string[];
  /** Arguments after the script. */
  args?: string[];
}

/** Starts `node <script>` with an IPC channel; stderr goes to the runner's stderr. */
export function startChild(name: string, script: string, options: StartChildOptions = {}): Child {
  installHooks();
  const child = spawn(
    process.execPath,
    [...(options.execArgv ?? []), script, ...(options.args ?? [])],
    {
      env: { PATH: process.env.PATH ?? "", ...options.env },
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    },
  );
  if (child.pid === undefined)
    throw BenchErrors.create(BenchErrorCode.processFailed, `could not start ${name} (${script})`);
  const lines: Record<string, unknown>[] = [];
  const messages: { type?: string }[] = [];
  let rest = "";
  let errors = 0;
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        const line = JSON.parse(part) as Record<string, unknown>;
        // Keep start-up lines and problems; a busy service's info lines would only grow memory.
        if (lines.length < 500 || (typeof line.level === "number" && line.level >= 40))
          lines.push(line);
        if (typeof line.level === "number" && line.level >= 50) {
          // The first few errors say what is wrong; a flood of the same one says nothing more.
          errors++;
          if (errors <= 3) process.stderr.write(`[${name}] ${part.slice(0, 600)}\n`);
          else if (errors === 4) process.stderr.write(`[${name}] (further errors not shown)\n`);
        }
      } catch {
        process.stderr.write(`[${name}] ${part}\n`);
      }
    }
  });
  child.on("message", (message) => messages.push(message as { type?: string }));
  let exitText: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.on("exit", (code, signal) => {
      exitText = signal ? `signal ${signal}` : `exit code ${code}`;
      running.delete(handle);
      resolve(exitText);
    });
  });
  const waitFor = async <T>(what: string, find: () => T | undefined, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (exitText) {
        const last = lines.at(-1);
        throw BenchErrors.create(
          BenchErrorCode.processFailed,
          `${name} ended (${exitText}) before ${what}${last ? `; its last log line: ${JSON.stringify(last)}` : ""}`,
        );
      }
      if (Date.now() > deadline)
        throw BenchErrors.create(
          BenchErrorCode.processFailed,
          `${name} did not report ${what} within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const handle: Child = {
    name,
    process: child,
    pid: child.pid,
    lines,
    exited,
    message<T>(type: string, timeoutMs: number) {
      return waitFor(
        `"${type}"`,
        () => {
          const index = messages.findIndex((m) => m.type === type);
          if (index < 0) return undefined;
          return messages.splice(index, 1)[0] as T;
        },
        timeoutMs,
      );
    },
    ready(serviceName: string, timeoutMs: number) {
      return waitFor(
        `"${serviceName} ready"`,
        () => {
          const line = lines.find((l) => l.msg === `${serviceName} ready`);
          return typeof line?.address === "string" ? line.address : undefined;
        },
        timeoutMs,
      );
    },
    send(message: unknown) {
      if (child.connected) child.send(message as never);
    },
    async stop(graceMs = 15_000) {
      if (exitText) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  return handle;
}

/** Makes a child script end itself when the runner that started it goes away. */
export function exitWithParent(onExit: () => Promise<void>): void {
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 10_000);
    force.unref();
    void onExit()
      .catch((error: unknown) => process.stderr.write(`stopping failed: ${String(error)}\n`))
      // process.exit, not a signal's default: `--cpu-prof` writes its profile on a normal exit.
      .finally(() => process.exit(code));
  };
  process.on("disconnect", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time (user + system) of a process in ms, from /proc; undefined where there is no /proc. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of every process on this machine whose command is `name` (Postgres runs as a server
 * process per connection plus its writers), by pid; empty when there is none (a remote server,
 * PGlite in process).
 */
export function cpuMsByCommand(name: string): Map<number, number> {
  const found = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== name) continue;
    } catch {
      continue;
    }
    const ms = cpuMsOf(Number(entry));
    if (ms !== undefined) found.set(Number(entry), ms);
  }
  return found;
}

/** A memory field of a process's /proc status in MB; undefined once the process is gone. */
function statusMbOf(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A process's resident set now, in MB (VmRSS); undefined once it is gone. */
export const rssMbOf = (pid: number) => statusMbOf(pid, "VmRSS");

/** Peak resident set size of a process in MB (VmHWM), from /proc. */
export const peakRssMbOf = (pid: number) => statusMbOf(pid, "VmHWM");

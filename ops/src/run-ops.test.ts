import { describe, expect, it } from "vitest";
import { type CommandGroup, ExitCode, UsageError } from "./command.ts";
import { runOps } from "./run-ops.ts";
import { captureIo } from "./testing/capture-io.ts";

const capture = () => captureIo(process.cwd());

const echo: CommandGroup = {
  name: "echo",
  summary: "prints its arguments",
  usage: "Usage: ops echo <words…>\n",
  async run(argv, io) {
    if (argv.length === 0) throw new UsageError("echo needs at least one word");
    io.stdout(`${argv.join(" ")}\n`);
    return ExitCode.ok;
  },
};

describe("runOps", () => {
  it("lists the command groups on --help and exits 0", async () => {
    const { io, out } = capture();
    expect(await runOps(["--help"], io, [echo])).toBe(ExitCode.ok);
    expect(out()).toContain("echo");
    expect(out()).toContain("prints its arguments");
  });

  it("prints the package version on --version", async () => {
    const { io, out } = capture();
    expect(await runOps(["--version"], io, [echo])).toBe(ExitCode.ok);
    expect(out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("exits 2 with the usage on stderr for no command or an unknown one", async () => {
    const none = capture();
    expect(await runOps([], none.io, [echo])).toBe(ExitCode.usage);
    expect(none.err()).toContain("Usage: ops");
    const unknown = capture();
    expect(await runOps(["nope"], unknown.io, [echo])).toBe(ExitCode.usage);
    expect(unknown.err()).toContain('unknown command "nope"');
    expect(unknown.out()).toBe("");
  });

  it("shows a group's usage on <group> --help", async () => {
    const { io, out } = capture();
    expect(await runOps(["echo", "--help"], io, [echo])).toBe(ExitCode.ok);
    expect(out()).toBe(echo.usage);
  });

  it("maps a UsageError to exit 2 and any other error to exit 1", async () => {
    const usage = capture();
    expect(await runOps(["echo"], usage.io, [echo])).toBe(ExitCode.usage);
    expect(usage.err()).toContain("echo needs at least one word");
    const failing: CommandGroup = {
      ...echo,
      async run() {
        throw new Error("queue not reachable");
      },
    };
    const failure = capture();
    expect(await runOps(["echo", "x"], failure.io, [failing])).toBe(ExitCode.failure);
    expect(failure.err()).toContain("queue not reachable");
  });

  it("runs a group and returns its status", async () => {
    const { io, out } = capture();
    expect(await runOps(["echo", "a", "b"], io, [echo])).toBe(ExitCode.ok);
    expect(out()).toBe("a b\n");
  });
});

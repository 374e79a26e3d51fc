// `ops ci …`: the commands the CircleCI pipeline runs. Each sub-command parses its own options,
// reads its settings (listing every missing one), and writes text or --json to stdout.
import { parseArgs } from "node:util";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "../command.ts";
import { detectAffected, formatAffected } from "./affected.ts";
import { type CommandRunner, processRunner } from "./command-runner.ts";

/** What the ci commands talk to; tests replace parts of it. */
export interface CiDependencies {
  /** Runs git, pnpm and docker (default: real processes with the command's environment). */
  runner?: (io: OpsIo) => CommandRunner;
}

interface SubCommand {
  summary: string;
  usage: string;
  run(argv: readonly string[], io: OpsIo, deps: Required<CiDependencies>): Promise<number>;
}

const affectedCommand: SubCommand = {
  summary: "list the packages and deployables a diff affects",
  usage: [
    "Usage: ops ci affected --base <ref> [--json]",
    "",
    "Lists the workspace packages (to lint and test) and the deployables (to build and push)",
    "affected by the changes since the merge base of <ref> and HEAD, working tree included.",
    "pnpm's dependency graph decides which packages depend on a changed one; shared build",
    "config (lockfile, root package.json, tsconfig.base.json, pnpm-workspace.yaml) affects",
    "everything, saga-definitions/ the orchestrator, documentation nothing.",
    "",
    "Options:",
    "  --base <ref>   branch, tag or commit to compare with (required)",
    "  --json         print the report as JSON",
    "  --help         show this help",
    "",
  ].join("\n"),
  async run(argv, io, deps) {
    const { values } = parseArgs({
      args: [...argv],
      options: { base: { type: "string" }, json: { type: "boolean" } },
      strict: true,
    });
    if (!values.base) throw new UsageError("--base <ref> is required");
    const report = await detectAffected({
      cwd: io.cwd,
      base: values.base,
      runner: deps.runner(io),
    });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatAffected(report));
    return ExitCode.ok;
  },
};

function groupUsage(commands: Record<string, SubCommand>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    "Usage: ops ci <sub-command> [options]",
    "",
    "The CircleCI pipeline's steps, runnable locally. Sub-commands:",
    ...Object.entries(commands).map(
      ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
    ),
    "",
    "Each sub-command takes --help. Exit status: 0 ok, 1 failure, 2 bad usage.",
    "",
  ].join("\n");
}

/** Builds the `ci` command group with the given dependencies (real ones by default). */
export function createCiGroup(dependencies: CiDependencies = {}): CommandGroup {
  const deps: Required<CiDependencies> = {
    runner: dependencies.runner ?? ((io) => processRunner({ ...process.env, ...io.env })),
  };
  const commands: Record<string, SubCommand> = {
    affected: affectedCommand,
  };
  const usage = groupUsage(commands);
  return {
    name: "ci",
    summary: "CI steps: affected packages, pipeline config, image push, GitOps bump",
    usage,
    async run(argv, io) {
      const [name, ...rest] = argv;
      if (name === undefined) throw new UsageError("a sub-command is required");
      const command = commands[name];
      if (!command) throw new UsageError(`unknown sub-command "${name}"`);
      if (rest.includes("--help") || rest.includes("-h")) {
        io.stdout(command.usage);
        return ExitCode.ok;
      }
      try {
        return await command.run(rest, io, deps);
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(`${name}: ${error.message}`);
        throw error;
      }
    },
  };
}

/** The `ci` group as registered in run-ops.ts. */
export const ciGroup: CommandGroup = createCiGroup();

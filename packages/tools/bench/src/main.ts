// `npm run bench [-- <what> …]`: one entry for every benchmark of the repository.
//
//   npm run bench                      the micro-benchmarks (SQS throughput, envelope decoding,
//                                      saga cost, compile)
//   npm run bench -- system [options]  the full-system benchmark against the hand-written baseline
//   npm run bench -- chaos [options]   saga latency while processes are SIGKILLed and restarted
//   npm run bench -- startup [options] CPU and wall time from a process start to /ready
//   npm run bench -- retention [opts]  pruning a backlog of finished sagas while sagas run
//   npm run bench -- profile-summary <file.cpuprofile | dir> [--top N]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const repo = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));

const micro = [
  "packages/libraries/messaging/bench/throughput.ts",
  "packages/libraries/messaging/bench/envelope-codec.ts",
  "packages/services/orchestrator/bench/saga-cost.ts",
  "packages/libraries/saga-definition/bench/compile-100-steps.ts",
];

function run(script: string, args: string[]): number {
  const result = spawnSync(process.execPath, [script, ...args], { stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

const [what = "micro", ...args] = process.argv.slice(2);
let status = 0;
switch (what) {
  case "micro":
    for (const script of micro) {
      status = run(repo(script), args);
      if (status !== 0) break;
    }
    break;
  case "system":
    status = run(here("./cli.ts"), ["system", ...args]);
    break;
  case "chaos":
    status = run(here("./chaos.ts"), ["chaos", ...args]);
    break;
  case "startup":
    status = run(here("./startup.ts"), ["startup", ...args]);
    break;
  case "retention":
    status = run(here("./retention.ts"), args);
    break;
  case "profile-summary":
    status = run(here("./profile-summary.ts"), args);
    break;
  default:
    process.stderr.write(
      `unknown benchmark "${what}": use micro (the default), system, chaos, startup, retention or profile-summary\n`,
    );
    status = 2;
}
process.exit(status);

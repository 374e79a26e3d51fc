// `ops dlq delete`: the options parsed and checked, then a dry run or an executed, journaled
// deletion (delete.ts).
import { parseArgs } from "node:util";
import { Verdict } from "@sagaworks/dead-letters";
import { ExitCode, type OpsIo, UsageError } from "../command.ts";
import {
  DELETABLE_VERDICTS,
  type DeleteLine,
  type DeleteOptions,
  defaultDeleteOptions,
  deleteMessages,
} from "./delete.ts";
import { RunMode } from "./journal.ts";
import {
  queueName,
  queueRunDeps,
  queueRunOptions,
  queueRunSelection,
  withQueueRun,
} from "./queue-run.ts";

function printLine(io: OpsIo, l: DeleteLine): void {
  const what = l.name ? `${l.name}${l.sagaId ? ` saga ${l.sagaId}` : ""}` : "not an envelope";
  io.stdout(`${l.action.padEnd(7)} ${l.sqsMessageId}  ${what}: ${l.why}\n`);
}

/** The verdicts `--verdict` names, checked: a waiting message is never deleted. */
function parseVerdicts(text: string | undefined): readonly Verdict[] {
  if (text === undefined) return defaultDeleteOptions.verdicts;
  const names = text.split(",").map((v) => v.trim());
  for (const name of names) {
    if (name === Verdict.waiting) {
      throw new UsageError(
        "--verdict waiting: a waiting saga still needs that message; replay it (ops dlq replay), or act on the saga (ops sagas) first",
      );
    }
    if (!DELETABLE_VERDICTS.includes(name as Verdict)) {
      throw new UsageError(
        `--verdict takes ${DELETABLE_VERDICTS.join(", ")} (comma-separated), not "${name}"`,
      );
    }
  }
  return names as Verdict[];
}

/** `ops dlq delete <queue> …`. */
export async function deleteCommand(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { ...queueRunOptions, verdict: { type: "string" } },
  });
  const name = queueName(positionals, "delete");
  const options: DeleteOptions = {
    ...defaultDeleteOptions,
    execute: values.execute === true,
    verdicts: parseVerdicts(values.verdict),
    ...queueRunSelection(values),
  };
  const run = { mode: RunMode.delete, execute: options.execute, quiet: values.json === true };
  return withQueueRun(io, name, run, async (queueRun) => {
    const report = await deleteMessages(
      queueRunDeps(queueRun, (l: DeleteLine) => {
        if (!values.json) printLine(io, l);
      }),
      options,
    );
    if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout(`${report.runId ? `run ${report.runId}: ` : ""}${report.outcome}\n`);
    return ExitCode.ok;
  });
}

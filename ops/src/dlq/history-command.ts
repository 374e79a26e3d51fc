// `ops dlq history`: the audit of replays and deletions from the journal, or one run's messages.
import { parseArgs } from "node:util";
import { ExitCode, type OpsIo } from "../command.ts";
import { OpsErrorCode, OpsErrors } from "../errors.ts";
import { openJournal, positiveInt } from "./context.ts";
import { loadOpsEnvironment } from "./environment.ts";
import { listing, table } from "./format.ts";

/** `ops dlq history [<run-id>]`. */
export async function history(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { json: { type: "boolean" }, queue: { type: "string" }, limit: { type: "string" } },
  });
  const env = loadOpsEnvironment(io.env, { database: true });
  const journal = await openJournal(io, env);
  try {
    const runId = positionals[0];
    if (runId) {
      const run = await journal.run(runId);
      if (!run) {
        throw OpsErrors.create(
          OpsErrorCode.replayRunUnknown,
          `No replay run ${runId}; ops dlq history lists them.`,
        );
      }
      const entries = [...(await journal.entries(run.id)).values()].sort(
        (a, b) => a.updatedAt.getTime() - b.updatedAt.getTime(),
      );
      if (values.json) {
        io.stdout(
          `${JSON.stringify({ run, entries: entries.map(({ body: _body, ...rest }) => rest) }, null, 2)}\n`,
        );
        return ExitCode.ok;
      }
      io.stdout(
        `run ${run.id} on ${run.dlq} → ${run.sourceQueue}\nby ${run.actor}, ${run.startedAt.toISOString()} to ${run.finishedAt?.toISOString() ?? "(unfinished)"}: ${run.status}\n${run.outcome ?? ""}\n\n`,
      );
      io.stdout(
        table(
          ["MESSAGE", "STATE", "NAME", "SAGA", "WHY"],
          entries.map((e) => [
            e.dlqMessageId,
            e.state,
            e.name ?? "-",
            e.sagaId ?? "-",
            e.explanation ?? "",
          ]),
        ),
      );
      return ExitCode.ok;
    }
    const runs = await journal.runs(positiveInt(values.limit, "--limit", 20), values.queue);
    io.stdout(
      listing(runs, {
        json: values.json,
        empty: "no replays or deletions yet",
        header: ["RUN", "STARTED", "BY", "DLQ", "MODE", "STATUS", "OUTCOME"],
        cells: (r) => [
          r.id,
          r.startedAt.toISOString(),
          r.actor,
          r.dlq,
          r.mode,
          r.status,
          r.outcome ?? "",
        ],
      }),
    );
    return ExitCode.ok;
  } finally {
    await journal.close();
  }
}

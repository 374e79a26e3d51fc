// `ops dlq replay`: the options parsed and checked, then a dry run or an executed saga-aware
// replay (replay.ts), or a plain StartMessageMoveTask redrive with `--bulk`.
import { parseArgs } from "node:util";
import {
  GetQueueAttributesCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import type { DeadLetterQueue, Verdict } from "@sagaworks/dead-letters";
import { ExitCode, type OpsIo, UsageError } from "../command.ts";
import { duration, positiveInt, withContext } from "./context.ts";
import { RunMode } from "./journal.ts";
import {
  queueName,
  queueRunDeps,
  queueRunOptions,
  queueRunSelection,
  withQueueRun,
} from "./queue-run.ts";
import { pickQueue } from "./queues.ts";
import { type PlanLine, replay } from "./replay.ts";
import { defaultReplayOptions, type ReplayOptions } from "./replay-options.ts";

function printLine(io: OpsIo, l: PlanLine, destination: string): void {
  const what = l.name
    ? `${l.name}${l.step ? ` (${l.step})` : ""}${l.sagaId ? ` saga ${l.sagaId}` : ""}`
    : "not an envelope";
  const verb = {
    send: `send → ${destination}`,
    skip: "skip",
    "after-first": "later",
    returned: "returned",
  }[l.action];
  io.stdout(`${verb.padEnd(10)} ${l.sqsMessageId}  ${what}: ${l.why}\n`);
}

async function bulkMove(
  sqs: SQSClient,
  queue: DeadLetterQueue,
  io: OpsIo,
  execute: boolean,
): Promise<number> {
  const arn = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
      .Attributes?.QueueArn ?? "";
  if (!execute) {
    io.stdout(
      `dry run: StartMessageMoveTask would move every message of ${queue.name} to ${queue.source.name}, without checking saga state. Add --execute.\n`,
    );
    return ExitCode.ok;
  }
  try {
    const task = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: await arn(queue.url ?? ""),
        DestinationArn: await arn(queue.source.url ?? ""),
      }),
    );
    io.stdout(
      `StartMessageMoveTask started (task ${task.TaskHandle}): ${queue.name} → ${queue.source.name}\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    io.stderr(
      `This endpoint does not support StartMessageMoveTask (${e.name ?? "error"}: ${e.message ?? ""}); the embedded emulator does not. Use the saga-aware replay: ops dlq replay ${queue.name} --execute\n`,
    );
    return ExitCode.failure;
  }
}

/** `ops dlq replay <queue> …`. */
export async function replayCommand(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...queueRunOptions,
      "include-stale": { type: "boolean" },
      verdict: { type: "string" },
      rate: { type: "string" },
      "ramp-start": { type: "string" },
      "max-batch": { type: "string" },
      settle: { type: "string" },
      "max-returned": { type: "string" },
      bulk: { type: "boolean" },
    },
  });
  const name = queueName(positionals, "replay");
  const verdicts = values.verdict?.split(",").map((v) => v.trim());
  for (const v of verdicts ?? []) {
    if (!["waiting", "stale", "event"].includes(v))
      throw new UsageError(`--verdict takes waiting, stale or event, not "${v}"`);
  }
  const { filter, limit } = queueRunSelection(values);
  const options: ReplayOptions = {
    ...defaultReplayOptions,
    execute: values.execute === true,
    includeStale: values["include-stale"] === true || (verdicts?.includes("stale") ?? false),
    filter: { verdicts: verdicts as Verdict[] | undefined, ...filter },
    limit,
    ratePerSecond: positiveInt(values.rate, "--rate", defaultReplayOptions.ratePerSecond),
    rampStart: positiveInt(values["ramp-start"], "--ramp-start", defaultReplayOptions.rampStart),
    maxBatch: positiveInt(values["max-batch"], "--max-batch", defaultReplayOptions.maxBatch),
    settleMs: duration(values.settle, "--settle") ?? defaultReplayOptions.settleMs,
    maxReturned: positiveInt(
      values["max-returned"],
      "--max-returned",
      defaultReplayOptions.maxReturned,
    ),
  };
  if (values.bulk) {
    return withContext(io, { orchestrator: false, database: false }, ({ clients, queues }) =>
      bulkMove(clients.sqs, pickQueue(queues, name), io, options.execute),
    );
  }
  const run = { mode: RunMode.replay, execute: options.execute, quiet: values.json === true };
  return withQueueRun(io, name, run, async (queueRun) => {
    let done = 0;
    const report = await replay(
      queueRunDeps(queueRun, (l: PlanLine) => {
        done++;
        if (!values.json) printLine(io, l, queueRun.queue.source.name);
        if (io.isTty) io.stderr(`\r${done} message(s) decided`);
      }),
      options,
    );
    if (io.isTty) io.stderr("\n");
    if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout(`${report.runId ? `run ${report.runId}: ` : ""}${report.outcome}\n`);
    return report.tripped ? ExitCode.failure : ExitCode.ok;
  });
}

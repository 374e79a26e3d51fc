// `ops retention`: whether pruning of finished sagas runs, and the switch that pauses it on every
// orchestrator replica (during an incident, an audit, or a restore from backup).
import { parseArgs } from "node:util";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "../command.ts";
import { loadOpsEnvironment, requireActor } from "../dlq/environment.ts";
import { OrchestratorClient, type RetentionView } from "../sagas/orchestrator-client.ts";

const USAGE = `Usage: ops retention <status|pause|resume> [--actor <who>] [--json]

  status   whether pruning is paused (and by whom), the retention periods and the archive
  pause    pause pruning on every orchestrator replica; the batch under way finishes
  resume   resume it; the next run starts at its usual interval

Finished sagas (completed, compensated, failed, resolved) are archived and pruned after
SAGA_RETENTION_DAYS; running, compensating and needs-intervention ones never are.
Environment: ORCHESTRATOR_URL, ORCHESTRATOR_API_TOKEN, OPS_ACTOR.
`;

const DAY_MS = 24 * 60 * 60 * 1000;

function render(view: RetentionView): string {
  const days = (ms: number) => `${Number((ms / DAY_MS).toFixed(2))} days`;
  const state = view.paused
    ? `paused by ${view.pausedBy ?? "?"} at ${view.pausedAt ?? "?"}`
    : view.pausedByConfig
      ? "paused on this replica by SAGA_PRUNING=paused"
      : "running";
  return [
    `pruning:          ${state}`,
    `finished sagas:   kept ${days(view.retentionMs)}, then archived to ${view.archive}`,
    `reply inbox:      kept ${days(view.inboxRetentionMs)}`,
    ...(view.archiveIndexRetentionMs === undefined
      ? []
      : [
          `archive index:    a pruned id says where it went for ${days(view.archiveIndexRetentionMs)}`,
        ]),
    "",
  ].join("\n");
}

/** The `ops retention` command group. */
export const retentionCommands: CommandGroup = {
  name: "retention",
  summary: "pause or resume pruning of finished sagas, and show its settings",
  usage: USAGE,
  async run(argv, io: OpsIo) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { actor: { type: "string" }, json: { type: "boolean" } },
    });
    const [sub, ...extra] = positionals;
    if (!sub) throw new UsageError("name a sub-command");
    if (extra.length > 0) throw new UsageError(`unexpected "${extra.join(" ")}"`);
    if (sub !== "status" && sub !== "pause" && sub !== "resume") {
      throw new UsageError(`unknown sub-command "${sub}"`);
    }
    const env = loadOpsEnvironment(io.env, { orchestrator: true });
    const orchestrator = new OrchestratorClient({
      baseUrl: env.orchestratorUrl,
      token: env.orchestratorToken,
    });
    const view =
      sub === "status"
        ? await orchestrator.getRetention()
        : await orchestrator.setRetentionPaused(
            sub === "pause",
            requireActor(values.actor ?? env.actor),
          );
    if (!view) {
      io.stderr("this orchestrator runs without retention (no /retention route)\n");
      return ExitCode.failure;
    }
    io.stdout(values.json ? `${JSON.stringify(view, null, 2)}\n` : render(view));
    return ExitCode.ok;
  },
};

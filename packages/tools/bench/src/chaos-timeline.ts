// Where a slow saga's time went under the kills. Each saga's wait is cut into hops from what
// the processes recorded anyway: the client's first start attempt, the orchestrator's history
// (one timestamped entry per event), the participants' inbox (when each command ran), and the
// moment the client saw the terminal event. A hop that took long is set beside the kills around
// it, so a report can say "the reply of reserve-credit waited 6 s; account was killed 0.4 s
// before it was sent" instead of guessing from percentiles.
import pg from "pg";

/** One SIGKILL of the chaos run: which process, when, and when its successor answered /ready. */
export interface Kill {
  victim: string;
  at: number;
  readyAt: number | undefined;
}

/** One saga of the measured phase, as the client saw it (epoch ms). */
export interface SagaRun {
  id: string;
  startedAt: number;
  endedAt: number;
}

/** A stretch of one saga's life between two recorded moments. */
export interface Hop {
  /** `start`, `http <step>`, `command <step>` (orchestrator commit → the participant ran it),
   * `reply <step>` (ran → the orchestrator recorded the reply), `<event> <step>` for timeouts
   * and retry timers, `event` (terminal entry → the client saw the event). */
  label: string;
  from: number;
  to: number;
  /** The processes the hop waits on: the orchestrators, and for a command hop its service. */
  waitsOn: readonly string[];
}

/** Where the schemas of the separate processes live. */
export interface TimelineSchemas {
  orchestrator: string;
  participants: readonly string[];
}

interface HistoryRow {
  saga_id: string;
  at: Date;
  event_type: string;
  step: string | null;
  effects: { type?: string; step?: string; command?: string; service?: string }[];
}

/** Reads the hops of each saga from the orchestrator's history and the participants' inboxes. */
export async function readHops(
  databaseUrl: string,
  schemas: TimelineSchemas,
  runs: readonly SagaRun[],
): Promise<Map<string, Hop[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // A failure surfaces as the query's rejection.
  await client.connect();
  try {
    const ids = runs.map((run) => run.id);
    const history = await client.query<HistoryRow>(
      `SELECT saga_id, at, event_type, event->>'step' AS step, effects
         FROM "${schemas.orchestrator}".saga_history WHERE saga_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
    const ran = new Map<string, number>();
    for (const schema of schemas.participants) {
      const inbox = await client.query<{ saga_id: string; command: string; at: Date }>(
        `SELECT saga_id, command, min(received_at) AS at FROM "${schema}".participant_inbox
          WHERE saga_id = ANY($1::uuid[]) GROUP BY saga_id, command`,
        [ids],
      );
      for (const row of inbox.rows) ran.set(`${row.saga_id} ${row.command}`, row.at.getTime());
    }
    const bySaga = new Map<string, HistoryRow[]>();
    for (const row of history.rows) {
      const rows = bySaga.get(row.saga_id) ?? [];
      rows.push(row);
      bySaga.set(row.saga_id, rows);
    }
    const hops = new Map<string, Hop[]>();
    for (const run of runs) hops.set(run.id, hopsOf(run, bySaga.get(run.id) ?? [], ran));
    return hops;
  } finally {
    await client.end();
  }
}

function hopsOf(run: SagaRun, rows: readonly HistoryRow[], ran: Map<string, number>): Hop[] {
  const hops: Hop[] = [];
  let last = run.startedAt;
  /** The command each step's first send carried, to find when its participant ran it. */
  const commands = new Map<string, { command: string; service: string }>();
  const orchestrator = ["orchestrator"];
  for (const row of rows) {
    const at = row.at.getTime();
    const step = row.step ?? "";
    if (row.event_type === "start") {
      hops.push({ label: "start", from: last, to: at, waitsOn: orchestrator });
    } else if (row.event_type === "reply") {
      const sent = commands.get(step);
      const ranAt = sent ? ran.get(`${run.id} ${sent.command}`) : undefined;
      const both = sent ? [sent.service, "orchestrator"] : orchestrator;
      if (sent && ranAt !== undefined && ranAt >= last && ranAt <= at) {
        hops.push({ label: `command ${step}`, from: last, to: ranAt, waitsOn: [sent.service] });
        // A reply waits on the participant's outbox, then on an orchestrator's reply consumer.
        hops.push({ label: `reply ${step}`, from: ranAt, to: at, waitsOn: both });
      } else {
        hops.push({ label: `command+reply ${step}`, from: last, to: at, waitsOn: both });
      }
    } else if (row.event_type.startsWith("http")) {
      hops.push({ label: `http ${step}`, from: last, to: at, waitsOn: orchestrator });
    } else {
      const label = `${row.event_type} ${step}`.trim();
      hops.push({ label, from: last, to: at, waitsOn: orchestrator });
    }
    for (const effect of row.effects) {
      if (effect.type === "send-command" && effect.step && effect.command && effect.service)
        if (!commands.has(effect.step))
          commands.set(effect.step, { command: effect.command, service: effect.service });
    }
    last = at;
  }
  hops.push({ label: "event", from: last, to: run.endedAt, waitsOn: orchestrator });
  return hops;
}

/** How long before a hop a kill may still be its cause (the visibility timeout, with room). */
const KILL_REACH_MS = 8_000;
/** A hop longer than this is a wait worth explaining (a healthy hop takes tens of ms). */
const SLOW_HOP_MS = 1_000;

/** The process kind a victim's name stands for: `order-2` → `order`. */
const kindOf = (victim: string) => victim.replace(/-\d+$/, "");

/**
 * Per process kind, the stretches when none of its processes answered /ready: every replica
 * killed and not back yet. A hop that waits on a kind during such a stretch waits for a restart.
 */
export function allDownStretches(
  kills: readonly Kill[],
  replicas: Readonly<Record<string, number>>,
  end: number,
): Map<string, [number, number][]> {
  const edges = new Map<string, { at: number; delta: number }[]>();
  for (const kill of kills) {
    const kind = kindOf(kill.victim);
    const list = edges.get(kind) ?? [];
    list.push({ at: kill.at, delta: 1 }, { at: kill.readyAt ?? end, delta: -1 });
    edges.set(kind, list);
  }
  const stretches = new Map<string, [number, number][]>();
  for (const [kind, list] of edges) {
    list.sort((a, b) => a.at - b.at || a.delta - b.delta);
    const all = replicas[kind] ?? 1;
    const out: [number, number][] = [];
    let down = 0;
    let since = 0;
    for (const edge of list) {
      const before = down;
      down += edge.delta;
      if (before < all && down >= all) since = edge.at;
      if (before >= all && down < all) out.push([since, edge.at]);
    }
    stretches.set(kind, out);
  }
  return stretches;
}

function overlapMs(hop: Hop, stretches: readonly [number, number][]): number {
  let total = 0;
  for (const [from, to] of stretches)
    total += Math.max(0, Math.min(to, hop.to) - Math.max(from, hop.from));
  return total;
}

/**
 * Why a slow hop waited, as far as the kills tell: a kind it waits on had no process up for part
 * of it (a restart), or one of them was killed around it (what the dead process held or had
 * taken from a queue came back after the visibility timeout or lease), or neither.
 */
function causeOf(
  hop: Hop,
  kills: readonly Kill[],
  down: ReadonlyMap<string, [number, number][]>,
): string {
  const restarts = hop.waitsOn
    .map((kind) => ({ kind, ms: overlapMs(hop, down.get(kind) ?? []) }))
    .filter((entry) => entry.ms >= 500);
  if (restarts.length > 0) return restarts.map((entry) => `no ${entry.kind} up`).join(" + ");
  const killed = [
    ...new Set(
      killsAround(hop, kills)
        .map((kill) => kindOf(kill.victim))
        .filter((kind) => hop.waitsOn.includes(kind)),
    ),
  ];
  if (killed.length > 0) return `${killed.sort().join("+")} killed around it`;
  const others = killsAround(hop, kills).length;
  return others > 0 ? "only other processes killed" : "no kill";
}

/** The kills that may explain a hop: those from shortly before it began until it ended. */
function killsAround(hop: Hop, kills: readonly Kill[]): Kill[] {
  return kills.filter((kill) => kill.at >= hop.from - KILL_REACH_MS && kill.at <= hop.to);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}`;

/**
 * The Markdown section that explains the slowest sagas: the time of their slow hops summed by
 * hop and by the kind of process killed around it, then the ten slowest sagas hop by hop.
 */
export function explainSlowest(
  runs: readonly SagaRun[],
  hops: Map<string, Hop[]>,
  kills: readonly Kill[],
  replicas: Readonly<Record<string, number>>,
  share = 0.05,
): string[] {
  const end = Math.max(...runs.map((run) => run.endedAt), ...kills.map((kill) => kill.at));
  const down = allDownStretches(kills, replicas, end);
  const slowest = [...runs]
    .sort((a, b) => b.endedAt - b.startedAt - (a.endedAt - a.startedAt))
    .slice(0, Math.max(1, Math.ceil(runs.length * share)));
  const total = slowest.reduce((sum, run) => sum + run.endedAt - run.startedAt, 0);
  const byHop = new Map<string, { ms: number; count: number }>();
  const byCause = new Map<string, { ms: number; count: number }>();
  const add = (map: typeof byHop, key: string, ms: number) => {
    const entry = map.get(key) ?? { ms: 0, count: 0 };
    entry.ms += ms;
    entry.count++;
    map.set(key, entry);
  };
  for (const run of slowest) {
    for (const hop of hops.get(run.id) ?? []) {
      const ms = hop.to - hop.from;
      if (ms < SLOW_HOP_MS) {
        add(byHop, "(hops under 1 s)", ms);
        continue;
      }
      add(byHop, hop.label.replace(/ .*/, ""), ms);
      const kind = hop.label.replace(/ .*/, "");
      add(byCause, `${kind} (${hop.waitsOn.join(", ")}) ← ${causeOf(hop, kills, down)}`, ms);
    }
  }
  const table = (map: typeof byHop) =>
    [...map.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(
        ([key, { ms, count }]) =>
          `| ${key} | ${count} | ${seconds(ms)} s | ${((100 * ms) / Math.max(1, total)).toFixed(0)}% |`,
      );
  const lines = [
    "",
    `### Where the slowest ${slowest.length} sagas (${Math.round(share * 100)}%) spent their time`,
    "",
    `Together ${seconds(total)} s. Hops: \`command X\` from the orchestrator's commit that sent it to the participant running it, \`reply X\` from there to the orchestrator recording the reply, \`http X\` the customer call, \`start\` the client's start (retried while an orchestrator is down), \`event\` from the terminal entry to the client seeing the event.`,
    "",
    "| hop kind | hops | time | share |",
    "|---|---|---|---|",
    ...table(byHop),
    "",
    `Hops over 1 s by cause: \`no X up\` when every process of a kind the hop waits on was down (killed, its successor not yet answering /ready) for 0.5 s or more of it; else \`X killed around it\` when one of them was killed from ${KILL_REACH_MS / 1000} s before the hop until its end (what it held, or its dead long poll took, reappears after the visibility timeout; its unsent outbox rows after their lease):`,
    "",
    "| hop (waits on) ← cause | hops | time | share |",
    "|---|---|---|---|",
    ...table(byCause).slice(0, 20),
    "",
    "The ten slowest, hop by hop (s; kills around a slow hop: victim and seconds from the hop's start, `ready` when its successor answered):",
    "",
  ];
  for (const run of slowest.slice(0, 10)) {
    const parts = (hops.get(run.id) ?? []).map((hop) => {
      const ms = hop.to - hop.from;
      if (ms < SLOW_HOP_MS) return `${hop.label} ${seconds(ms)}`;
      const around = killsAround(hop, kills).map(
        (kill) =>
          `${kill.victim} ${seconds(kill.at - hop.from)}${kill.readyAt ? `/ready ${seconds(kill.readyAt - hop.from)}` : ""}`,
      );
      return `**${hop.label} ${seconds(ms)}**${around.length > 0 ? ` [${around.join(", ")}]` : ""}`;
    });
    lines.push(`- ${seconds(run.endedAt - run.startedAt)} s: ${parts.join(" · ")}`);
  }
  return lines;
}

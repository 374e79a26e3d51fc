// Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and
// self time grouped by package (node_modules package, workspace package, node internals, GC).
//
//   node packages/tools/bench/src/profile-summary.ts <file.cpuprofile | directory> [--top 25]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The package a script URL belongs to: `fastify`, `@aws-sdk/client-sqs`, `orchestrator`, `node:`. */
export function packageOf(url: string, functionName: string): string {
  if (!url) {
    // V8's pseudo-frames: (garbage collector), (program), (idle), (root), and natives.
    return functionName.startsWith("(") ? functionName : "(native)";
  }
  if (url.startsWith("node:")) return "node: (internals)";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "/node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const workspace = /\/packages\/(services\/)?([^/]+)\//.exec(url);
  if (workspace) return `@sagaworks/${workspace[2]}${workspace[1] ? " (service)" : ""}`;
  return url;
}

/** Self time in ms per profile node id, from the samples and their time deltas. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    // Each delta is the time since the previous sample; it belongs to the sample it precedes.
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  return self;
}

/** The summary of one profile as text lines. */
export function summarise(profile: CpuProfile, top: number): string[] {
  const self = selfTimes(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = [...self.values()].reduce((sum, ms) => sum + ms, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)")
    .reduce((sum, [, ms]) => sum + ms, 0);
  const busy = total - idle;
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  // Who caused a native or node-internal frame (a socket write, a hash): the nearest caller that
  // lives in a package, so `writev` is charged to the HTTP client or the Postgres driver.
  const caller = (id: number): string => {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const pkg = packageOf(frame.url, frame.functionName);
      if (frame.url && !pkg.startsWith("node:")) return pkg;
    }
    return "-";
  };
  const functions = new Map<string, { ms: number; pkg: string }>();
  const callers = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    const pkg = packageOf(url, functionName);
    const file = url ? url.slice(url.lastIndexOf("/") + 1) : "";
    const key =
      `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
    const entry = functions.get(key) ?? { ms: 0, pkg };
    entry.ms += ms;
    functions.set(key, entry);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    if (!url || pkg.startsWith("node:")) {
      const by = `${url ? pkg : functionName || "(anonymous)"} ← ${caller(id)}`;
      callers.set(by, (callers.get(by) ?? 0) + ms);
    }
  }
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1)}%`;
  const lines = [
    `profile: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (idle excluded from the percentages)`,
    "",
    "| self ms | % busy | package |",
    "| --- | --- | --- |",
  ];
  for (const [pkg, ms] of [...packages.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`| ${ms.toFixed(0)} | ${pct(ms)} | ${pkg} |`);
  lines.push(
    "",
    "| self ms | % busy | native function or node internals ← nearest caller in a package |",
  );
  lines.push("| --- | --- | --- |");
  for (const [by, ms] of [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12))
    lines.push(`| ${ms.toFixed(0)} | ${pct(ms)} | ${by} |`);
  lines.push("", "| self ms | % busy | function | package |", "| --- | --- | --- | --- |");
  for (const [name, { ms, pkg }] of [...functions.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top))
    lines.push(`| ${ms.toFixed(0)} | ${pct(ms)} | ${name.replaceAll("|", "\\|")} | ${pkg} |`);
  return lines;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "25" } },
  });
  const target = positionals[0];
  if (!target) {
    process.stderr.write("usage: profile-summary <file.cpuprofile | directory> [--top N]\n");
    process.exit(2);
  }
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(target, f))
    : [target];
  if (files.length === 0) {
    process.stderr.write(`no .cpuprofile in ${target}\n`);
    process.exit(1);
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    process.stdout.write(`## ${file}\n\n${summarise(profile, Number(values.top)).join("\n")}\n\n`);
  }
}

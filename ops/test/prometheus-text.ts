// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: it throws
// on anything `promtool check metrics` would reject (bad names, bad escapes, a sample before its
// TYPE, a family split in two, duplicate series, histograms without +Inf or with decreasing
// buckets) and returns the families it read.

/** One metric family: its TYPE, HELP and samples. */
export interface MetricFamily {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string | undefined;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses an exposition; throws `line N: what is wrong` on the first problem. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: MetricFamily | undefined;
  if (text.length > 0 && !text.endsWith("\n"))
    throw new Error("the exposition must end with a newline");
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, index) => {
    const fail = (message: string): never => {
      throw new Error(`line ${index + 1}: ${message}: ${line}`);
    };
    if (line === "") return; // promtool accepts blank lines between families
    const family = (name: string): MetricFamily => {
      if (!METRIC_NAME.test(name)) fail(`invalid metric name "${name}"`);
      if (current?.name !== name) {
        if (current) finished.add(current.name);
        if (finished.has(name)) fail(`family ${name} appears in two places`);
        current = families.get(name) ?? { name, type: "untyped", help: undefined, samples: [] };
        families.set(name, current);
      }
      return current;
    };
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) return; // a plain comment
      const [, keyword, name = "", rest = ""] = match;
      const target = family(name);
      if (keyword === "HELP") {
        if (target.help !== undefined) fail(`second HELP for ${name}`);
        target.help = unescapeHelp(rest, fail);
      } else {
        if (!TYPES.has(rest)) fail(`unknown type "${rest}"`);
        if (target.samples.length > 0) fail(`TYPE of ${name} after its samples`);
        target.type = rest as MetricFamily["type"];
      }
      return;
    }
    const { name, labels, value } = parseSample(line, fail);
    const owner = familyOf(name, current);
    const target = family(owner);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) fail(`duplicate series ${key}`);
    series.add(key);
    target.samples.push({ name, labels, value });
  });
  for (const family of families.values()) checkFamily(family);
  return families;
}

/** The family a sample belongs to: histograms and summaries add suffixes to their samples. */
function familyOf(name: string, current: MetricFamily | undefined): string {
  if (current && (current.type === "histogram" || current.type === "summary")) {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      if (name === `${current.name}${suffix}`) return current.name;
    }
  }
  return name;
}

function parseSample(
  line: string,
  fail: (message: string) => never,
): { name: string; labels: Record<string, string>; value: number } {
  const nameMatch = /^[^\s{]+/.exec(line);
  const name = nameMatch?.[0] ?? fail("no metric name");
  if (!METRIC_NAME.test(name)) fail(`invalid metric name "${name}"`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const label = /^([^=]+)="/.exec(rest) ?? fail("bad label");
      const labelName = label[1] ?? "";
      if (!LABEL_NAME.test(labelName)) fail(`invalid label name "${labelName}"`);
      if (labelName in labels) fail(`label ${labelName} twice`);
      rest = rest.slice(label[0].length);
      let value = "";
      for (;;) {
        const char = rest[0] ?? fail("unterminated label value");
        rest = rest.slice(1);
        if (char === '"') break;
        if (char === "\\") {
          const escaped = rest[0];
          rest = rest.slice(1);
          if (escaped === "n") value += "\n";
          else if (escaped === "\\" || escaped === '"') value += escaped;
          else fail(`bad escape \\${escaped}`);
        } else if (char === "\n") fail("newline in a label value");
        else value += char;
      }
      labels[labelName] = value;
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) fail("expected , or } after a label");
    }
    rest = rest.slice(1);
  }
  const parts = rest.split(" ");
  if (parts[0] !== "" || parts.length < 2 || parts.length > 3)
    fail("expected ' value [timestamp]'");
  const text = parts[1] ?? "";
  // promtool reads values with Go's ParseFloat, which takes NaN and Inf in any case.
  const special = text.toLowerCase();
  const value =
    special === "+inf" || special === "inf"
      ? Infinity
      : special === "-inf"
        ? -Infinity
        : special === "nan"
          ? Number.NaN
          : Number(text);
  if (text === "" || (Number.isNaN(value) && special !== "nan")) fail(`bad value "${text}"`);
  if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) fail(`bad timestamp "${parts[2]}"`);
  return { name, labels, value };
}

function unescapeHelp(text: string, fail: (message: string) => never): string {
  return text.replace(/\\(.?)/g, (_, char: string) => {
    if (char === "n") return "\n";
    if (char === "\\") return "\\";
    return fail(`bad escape in HELP \\${char}`);
  });
}

/** Histogram rules: `le` on every bucket, a +Inf bucket, cumulative counts, _count = +Inf. */
function checkFamily(family: MetricFamily): void {
  if (family.type !== "histogram") return;
  const groups = new Map<string, { le: number; value: number }[]>();
  const counts = new Map<string, number>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      const bound = le === "+Inf" ? Infinity : Number(le);
      if (Number.isNaN(bound)) throw new Error(`${family.name}: le="${le}" is not a number`);
      groups.set(key, [...(groups.get(key) ?? []), { le: bound, value: sample.value }]);
    } else if (sample.name.endsWith("_count")) counts.set(key, sample.value);
  }
  for (const [key, buckets] of groups) {
    const sorted = [...buckets].sort((a, b) => a.le - b.le);
    if (sorted.at(-1)?.le !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i]?.value ?? 0) < (sorted[i - 1]?.value ?? 0)) {
        throw new Error(`${family.name}${key}: buckets are not cumulative`);
      }
    }
    if (counts.get(key) !== sorted.at(-1)?.value) {
      throw new Error(`${family.name}${key}: _count differs from the +Inf bucket`);
    }
  }
}

const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "and",
  "or",
  "unless",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions (followed by
 * `(`), keywords, label matchers, grouping labels, durations or strings.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (after.startsWith("(") || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** The family a queried name belongs to: `x_bucket`, `x_sum`, `x_count` of a histogram are `x`. */
export function familyName(name: string, families: ReadonlyMap<string, MetricFamily>): string {
  if (families.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    const family = families.get(base);
    if (name.endsWith(suffix) && (family?.type === "histogram" || family?.type === "summary"))
      return base;
  }
  return name;
}

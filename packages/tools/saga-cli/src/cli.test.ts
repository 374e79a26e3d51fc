// Runs the real CLI as a child process (`node packages/tools/saga-cli/src/cli.ts`) on the shipped
// definitions and on broken copies in a temporary folder.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_DEFINITION_BYTES } from "@sagaworks/saga-definition/files";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const cliPath = fileURLToPath(new URL("./cli.ts", import.meta.url));
// SAGA_DEFINITIONS_DIR lets the test of adding a saga run these tests on a copy with one more.
const definitions = process.env.SAGA_DEFINITIONS_DIR ?? join(repoRoot, "saga-definitions");
/** The definitions in that folder, as `saga validate` lists them: "name vN", sorted by file. */
const shipped = readdirSync(definitions)
  .filter((file) => file.endsWith(".saga.json"))
  .sort()
  .map((file) => {
    const { name, version } = JSON.parse(readFileSync(join(definitions, file), "utf8"));
    return `${name} v${version}`;
  });

function saga(args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let temp: string;
beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "saga-cli-test-"));
});
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

function copyDefinitions(name: string): string {
  const dir = join(temp, name);
  cpSync(definitions, dir, { recursive: true });
  return dir;
}

// biome-ignore lint/suspicious/noExplicitAny: tests edit definition JSON freely, like an author.
function editJson(file: string, change: (value: Record<string, any>) => void) {
  const value = JSON.parse(readFileSync(file, "utf8"));
  change(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

// Each test spawns Node processes; give them room on a loaded CI machine.
describe("saga validate", { timeout: 30_000 }, () => {
  it("passes on the shipped definitions", () => {
    const result = saga(["validate", definitions]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      `OK ${shipped.length} saga definition(s) valid: ${shipped.join(", ")}\n`,
    );
  });

  it("fails on a broken copy and names every problem as file:line:col CODE message", () => {
    const dir = copyDefinitions("broken");
    const file = join(dir, "create-order.saga.json");
    editJson(file, (value) => {
      delete value.steps[1].compensation; // before the pivot, nothing to undo it
      value.steps[2].payload.orderId = "$.steps.approve-order.reply.orderId"; // a later step
      value.steps[3].retry.maxAttempts = 3; // after the pivot, must retry until success
      value.steps[0].timeout = "5 seconds";
    });
    const result = saga(["validate", dir]);
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split("\n");
    const codes = lines.map((line) => line.split(" ")[1]);
    expect(codes).toEqual(
      expect.arrayContaining([
        "SAGA_PIVOT_COMPENSATION_MISSING",
        "SAGA_PATH_STEP_NOT_EARLIER",
        "SAGA_RETRIABLE_STEP_RETRY_BOUNDED",
        "SAGA_DURATION_INVALID",
      ]),
    );
    for (const line of lines) {
      expect(line).toMatch(/^\S*create-order\.saga\.json:\d+:\d+ SAGA_[A-Z_]+ .+ \(at \$.*\)$/);
    }
    const duration = lines.find((line) => line.includes("SAGA_DURATION_INVALID")) ?? "";
    const expectedLine =
      readFileSync(file, "utf8")
        .split("\n")
        .findIndex((text) => text.includes('"5 seconds"')) + 1;
    expect(duration).toContain(`create-order.saga.json:${expectedLine}:7 `);
    expect(result.stderr).toContain(`problem(s) in 1 of ${shipped.length} file(s)`);
  });

  it("gives machine output with --json", () => {
    const dir = copyDefinitions("json");
    editJson(join(dir, "cancel-order.saga.json"), (value) => {
      value.steps[0].service = "billing";
    });
    const result = saga(["validate", "--json", dir]);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({
      code: "SAGA_SERVICE_UNKNOWN",
      path: ["steps", 0, "service"],
      pointer: "$.steps[0].service",
    });
    expect(report.problems[0].line).toBeGreaterThan(1);
    expect(
      report.files.find((f: { file: string }) => f.file.endsWith("create-order.saga.json")).saga
        .hash,
    ).toMatch(/^sha256:/);
  });

  it("reports malformed JSON with line and column", () => {
    const dir = join(temp, "malformed");
    cpSync(definitions, dir, { recursive: true });
    const file = join(dir, "cancel-order.saga.json");
    const text = readFileSync(file, "utf8").replace('"version": 1,', '"version": 1');
    writeFileSync(file, text);
    const result = saga(["validate", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /cancel-order\.saga\.json:5:3 SAGA_JSON_MALFORMED Malformed JSON \(CommaExpected\)/,
    );
  });

  it("refuses an oversized file before parsing it", () => {
    const file = join(temp, "huge.saga.json");
    writeFileSync(file, `{"description": "${"x".repeat(MAX_DEFINITION_BYTES)}"}`);
    const result = saga(["validate", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/huge\.saga\.json:1:1 SAGA_FILE_TOO_LARGE .*262144 bytes/);
  });

  it("checks that the file is named after the saga", () => {
    const dir = copyDefinitions("renamed");
    cpSync(join(dir, "cancel-order.saga.json"), join(dir, "cancel.saga.json"));
    const result = saga(["validate", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("SAGA_FILE_NAME_MISMATCH");
    expect(result.stdout).toContain("SAGA_NAME_DUPLICATE");
  });
});

describe("saga compile, graph, schema, usage", { timeout: 30_000 }, () => {
  it("prints the compiled saga", () => {
    const result = saga(["compile", "saga-definitions/create-order.saga.json"]);
    expect(result.status).toBe(0);
    const compiled = JSON.parse(result.stdout);
    expect(compiled).toMatchObject({ name: "create-order", pivot: "reserve-credit" });
  });

  it("prints problems and exits 1 when compiling a broken file", () => {
    const dir = copyDefinitions("compile-broken");
    const file = join(dir, "create-order.saga.json");
    editJson(file, (value) => {
      value.steps[2].command = "ReserveCredits";
    });
    const result = saga(["compile", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("SAGA_COMMAND_UNKNOWN");
  });

  it("writes the Mermaid diagram with --out", () => {
    const out = join(temp, "create-order.mmd");
    const result = saga(["graph", "saga-definitions/create-order.saga.json", "--out", out]);
    expect(result.status).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^stateDiagram-v2\n/);
  });

  it("regenerates and checks the JSON Schema", () => {
    expect(saga(["schema", "--check"]).status).toBe(0);
    const out = join(temp, "schema.json");
    expect(saga(["schema", "--out", out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).title).toBe("Sagaworks saga definition");
    writeFileSync(out, "{}");
    expect(saga(["schema", "--check", "--out", out]).status).toBe(1);
  });

  it("exits 2 with usage on a bad command line", () => {
    const unknown = saga(["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("CLI_USAGE");
    expect(saga(["validate", "--nope"]).status).toBe(2);
    expect(saga(["compile"]).status).toBe(2);
  });
});

describe("saga explore", { timeout: 30_000 }, () => {
  it("explores a shipped saga and finds it clean", () => {
    const result = saga([
      "explore",
      "saga-definitions/cancel-order.saga.json",
      "--input",
      '{"orderId":"o-1","reason":"r"}',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^cancel-order v1: \d+ path\(s\) through \d+ state\(s\) explored; endings: .*completed.*; 0 path\(s\) break the rules\n$/,
    );
    const json = saga(["explore", "saga-definitions/create-order.saga.json", "--json"]);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ saga: "create-order", violations: [] });
  });

  it("exits 2 on input that is not JSON, 1 on a broken file", () => {
    const bad = saga(["explore", "saga-definitions/create-order.saga.json", "--input", "{nope"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--input is not JSON");
    const dir = copyDefinitions("explore-broken");
    const file = join(dir, "create-order.saga.json");
    editJson(file, (value) => {
      value.steps[2].command = "ReserveCredits";
    });
    const broken = saga(["explore", file]);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain("SAGA_COMMAND_UNKNOWN");
  });
});

describe("CLI conventions (issue 9 point 10)", () => {
  it("answers --help on every command and --version, with exit 0", () => {
    for (const command of [
      "validate",
      "compile",
      "graph",
      "schema",
      "contracts",
      "diff",
      "explore",
    ]) {
      const result = saga([command, "--help"]);
      expect(result.status, command).toBe(0);
      expect(result.stdout).toContain(`Usage: saga ${command}`);
    }
    const version = saga(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^saga \d+\.\d+\.\d+\n$/);
  }, 60_000);

  it("says no definition files were found for an empty folder, not '1 of 0 file(s)'", () => {
    const empty = join(temp, "empty");
    mkdirSync(empty, { recursive: true });
    const result = saga(["validate", empty]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("SAGA_NO_DEFINITIONS_FOUND");
    expect(result.stderr).toContain("no definition files found");
    expect(result.stderr).not.toContain("of 0 file(s)");
  });

  it("writes with schema --out exactly the text the project's formatter keeps", () => {
    const out = join(temp, "formatted-schema.json");
    expect(saga(["schema", "--out", out]).status).toBe(0);
    // The shipped copy passes `pnpm lint` (Biome checks saga-definitions/), so equal text passes.
    expect(readFileSync(out, "utf8")).toBe(
      readFileSync(join(definitions, "saga-definition.schema.json"), "utf8"),
    );
    expect(readFileSync(out, "utf8")).not.toContain('"format": "starts_with"');
  });

  it("keeps stdout of `--json` clean when run through the documented bootstrap command", () => {
    const result = spawnSync(
      process.execPath,
      [join(repoRoot, "scripts", "bootstrap.mjs"), "saga", "validate", "--json"],
      { cwd: repoRoot, encoding: "utf8", timeout: 120_000 },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
  }, 180_000);
});

// `saga diff` end to end: the real CLI (a child process) in a real temporary git repository, with
// a definition committed and then changed the way an author would; and against a stand-in
// orchestrator that answers `GET /sagas/in-flight`.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
/** The repository's top (where pnpm-workspace.yaml is), wherever this package sits in it. */
function findRepoRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, "pnpm-workspace.yaml"))) folder = dirname(folder);
  return folder;
}
const repoRoot = findRepoRoot();
const cliPath = fileURLToPath(new URL("./cli.ts", import.meta.url));
const shipped = join(repoRoot, "saga-definitions");

let repo: string;
const file = () => join(repo, "saga-definitions", "create-order.saga.json");

function git(...args: string[]) {
  const result = spawnSync(
    "git",
    ["-c", "user.email=author@example.com", "-c", "user.name=Author", ...args],
    { cwd: repo, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

async function saga(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    return { status: failed.code ?? -1, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests edit definition JSON freely, like an author.
function edit(change: (value: Record<string, any>) => void) {
  const value = JSON.parse(readFileSync(file(), "utf8"));
  change(value);
  writeFileSync(file(), `${JSON.stringify(value, null, 2)}\n`);
}

/** The 1-based line of the first line of the file that contains `text`. */
function lineOf(text: string): number {
  return (
    readFileSync(file(), "utf8")
      .split("\n")
      .findIndex((line) => line.includes(text)) + 1
  );
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "saga-diff-"));
  mkdirSync(join(repo, "saga-definitions"));
  git("init", "--quiet", "--initial-branch=main");
  writeFileSync(file(), readFileSync(join(shipped, "create-order.saga.json"), "utf8"));
  git("add", ".");
  git("commit", "--quiet", "-m", "create-order v1");
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("saga diff in a git repository", { timeout: 120_000 }, () => {
  it("finds nothing when the definition did not change", async () => {
    const result = await saga(["diff", "saga-definitions", "--against", "HEAD"]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("OK 1 definition file(s)");
    expect(result.status).toBe(0);
  });

  it("fails a change without a version bump, at the version's line, and lists the change at its own", async () => {
    edit((value) => {
      value.steps[1].timeout = "45s";
    });
    const result = await saga(["diff", "saga-definitions", "--against", "main"]);
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^saga-definitions/create-order\\.saga\\.json:${lineOf('"version"')}:3 SAGA_VERSION_NOT_BUMPED error: create-order changed \\(SAGA_TIMEOUT_CHANGED\\) but "version" is still 1`,
      ),
    );
    expect(lines[1]).toBe(
      `saga-definitions/create-order.saga.json:${lineOf('"45s"')}:7 SAGA_TIMEOUT_CHANGED note: Step "create-order": timeout changed (30000 → 45000).`,
    );
    expect(result.stderr).toContain("✗ 1 error(s), 1 note(s)");
  });

  it("passes once the version is bumped, and prints clean JSON with --json", async () => {
    edit((value) => {
      value.version = 2;
    });
    const text = await saga(["diff", "--against", "HEAD"]);
    expect(text.status).toBe(0);
    const json = await saga(["diff", "--against", "HEAD", "--json"]);
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      ok: true,
      against: { ref: "HEAD", commit: git("rev-parse", "HEAD") },
      files: [
        {
          file: "saga-definitions/create-order.saga.json",
          name: "create-order",
          before: { version: 1 },
          after: { version: 2 },
        },
      ],
    });
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: "SAGA_TIMEOUT_CHANGED",
        severity: "note",
        pointer: "$.steps[1].timeout",
      }),
    ]);
  });

  it("calls a narrowed input an error unless it is allowed", async () => {
    edit((value) => {
      value.input.properties.totalCents.minimum = 100;
    });
    const result = await saga(["diff", "--against", "HEAD"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`create-order.saga.json:${lineOf('"minimum": 100')}:`);
    expect(result.stdout).toContain("SAGA_INPUT_NARROWED error: The input schema accepts less");
    const allowed = await saga(["diff", "--against", "HEAD", "--allow", "SAGA_INPUT_NARROWED"]);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain("SAGA_INPUT_NARROWED note:");
  });

  it("reports how many sagas are in flight per version and state with --orchestrator-url", async () => {
    const token = "diff-test-token-0123456789";
    let server: Server | undefined;
    try {
      server = createServer((request, response) => {
        const ok = request.headers.authorization === `Bearer ${token}`;
        response.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        response.end(
          JSON.stringify(
            ok && request.url === "/sagas/in-flight"
              ? {
                  statuses: ["running", "compensating", "needs-intervention"],
                  items: [
                    row(1, "running", "step:create-order", 3),
                    row(1, "running", "step:reserve-credit", 1),
                    row(1, "needs-intervention", "step:approve-order", 2),
                    row(0, "compensating", "compensate:create-order", 1),
                  ],
                }
              : { code: "UNAUTHORIZED", message: "token" },
          ),
        );
      });
      await new Promise<void>((done) => server?.listen(0, "127.0.0.1", done));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await saga(["diff", "--against", "HEAD", "--orchestrator-url", url], {
        ORCHESTRATOR_API_TOKEN: token,
      });
      expect(result.stdout).toContain(
        "SAGA_IN_FLIGHT note: create-order v1 has sagas in flight: 4 running (step:create-order 3, step:reserve-credit 1), 2 needs-intervention (step:approve-order 2).",
      );
      expect(result.stdout).toMatch(
        /create-order v0 has sagas in flight: 1 compensating .*not checked/,
      );
      const refused = await saga(["diff", "--against", "HEAD", "--orchestrator-url", url], {
        ORCHESTRATOR_API_TOKEN: "wrong-token-0123456789",
      });
      expect(refused.status).toBe(1);
      expect(refused.stdout).toContain("SAGA_IN_FLIGHT_UNAVAILABLE error");
      expect(refused.stdout).toContain("HTTP 401");
    } finally {
      await new Promise((done) => server?.close(done));
    }
  });

  it("notes a saga added and one removed since the base", async () => {
    git("add", ".");
    git("commit", "--quiet", "-m", "create-order v2");
    writeFileSync(
      join(repo, "saga-definitions", "cancel-order.saga.json"),
      readFileSync(join(shipped, "cancel-order.saga.json"), "utf8"),
    );
    rmSync(file());
    const result = await saga(["diff", "saga-definitions", "--against", "HEAD"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      "saga-definitions/cancel-order.saga.json:3:3 SAGA_ADDED note: cancel-order v1 is new since HEAD.",
    );
    expect(result.stdout).toContain(
      "saga-definitions/create-order.saga.json:1:1 SAGA_REMOVED note: create-order (v2 at HEAD) was removed",
    );
  });

  it("checks a saga that starts others against its children, on both sides", async () => {
    git("add", "-A");
    git("commit", "--quiet", "-m", "cancel-order instead of create-order");
    for (const name of ["create-order", "hold-credit", "order-with-deposit"]) {
      writeFileSync(
        join(repo, "saga-definitions", `${name}.saga.json`),
        readFileSync(join(shipped, `${name}.saga.json`), "utf8"),
      );
    }
    const added = await saga(["diff", "saga-definitions", "--against", "HEAD"]);
    expect(added.stdout).not.toContain("SAGA_SUB_SAGA_UNKNOWN");
    expect(added.stdout).toContain("SAGA_ADDED note: order-with-deposit v1 is new since HEAD.");
    expect(added.status).toBe(0);
    // At the base too, the parent compiles against the base's children.
    git("add", "-A");
    git("commit", "--quiet", "-m", "order-with-deposit and its children");
    const unchanged = await saga(["diff", "saga-definitions", "--against", "HEAD"]);
    expect(unchanged.stdout).toBe("");
    expect(unchanged.stderr).toContain("OK 4 definition file(s)");
    expect(unchanged.status).toBe(0);
  });

  it("exits 2 on bad usage and answers --help", async () => {
    expect((await saga(["diff"])).status).toBe(2);
    const unknown = await saga(["diff", "--against", "no-such-branch"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--against no-such-branch: no such commit");
    const noToken = await saga(["diff", "--against", "HEAD", "--orchestrator-url", "http://x"], {
      ORCHESTRATOR_API_TOKEN: "",
    });
    expect(noToken.status).toBe(2);
    const help = await saga(["diff", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: saga diff");
  });
});

function row(version: number, status: string, state: string, count: number) {
  return { name: "create-order", version, hash: `sha256:v${version}`, status, state, count };
}

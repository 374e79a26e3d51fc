import { spawn, spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("..", import.meta.url));

const LOCKFILE = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .: {}
`;

/** A repository with no dependencies and one script, using this checkout's bootstrap and tools. */
async function tinyRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bootstrap-"));
  await mkdir(join(dir, "scripts"));
  await copyFile(join(repo, "scripts/bootstrap.mjs"), join(dir, "scripts/bootstrap.mjs"));
  // The tools this run already has: no download from the registry.
  await symlink(join(repo, ".tools"), join(dir, ".tools"));
  await writeManifest(dir, "hello");
  await writeFile(join(dir, "pnpm-lock.yaml"), LOCKFILE);
  // A script that takes its time to stop on SIGINT, as the stack does.
  await writeFile(
    join(dir, "slow.mjs"),
    `process.on("SIGINT", () => setTimeout(() => { console.log("stopped"); process.exit(0); }, 500));
console.log("ready");
setInterval(() => {}, 1000);
`,
  );
  return dir;
}

async function writeManifest(dir: string, description: string): Promise<void> {
  const rootPackage = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as {
    packageManager: string;
  };
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tiny",
      private: true,
      description,
      packageManager: rootPackage.packageManager,
      scripts: { hello: "node -e \"console.log('hello')\"", slow: "node slow.mjs" },
    }),
  );
}

function bootstrap(dir: string) {
  return spawnSync(process.execPath, ["scripts/bootstrap.mjs", "hello"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("scripts/bootstrap.mjs", () => {
  it("runs pnpm install only when the lockfile or a manifest changed since the last install", async () => {
    const dir = await tinyRepo();
    const first = bootstrap(dir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe("hello\n");
    expect(first.stderr).toMatch(/pnpm/);

    const second = bootstrap(dir);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toBe("hello\n");
    expect(second.stderr).toBe("");

    await writeManifest(dir, "changed");
    const afterChange = bootstrap(dir);
    expect(afterChange.status, afterChange.stderr).toBe(0);
    expect(afterChange.stderr).toMatch(/pnpm/);
  }, 120_000);

  it("outlives a Ctrl-C to its process group until the script has stopped, then ends the same way", async () => {
    const dir = await tinyRepo();
    expect(bootstrap(dir).status).toBe(0); // installs once
    // Its own process group, as a terminal runs a foreground job.
    const child = spawn(process.execPath, ["scripts/bootstrap.mjs", "slow"], {
      cwd: dir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: string[] = [];
    let sent = false;
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      if (!sent && out.includes("ready") && child.pid) {
        sent = true;
        process.kill(-child.pid, "SIGINT");
      }
    });
    // "exit", not "close": the script holds the pipes open even after the bootstrap is gone.
    const exit = await new Promise<{ code: number | null; signal: string | null; seen: string[] }>(
      (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, seen: [...out] })),
    );
    // The script's orderly stop came before the bootstrap ended: the prompt returns after it.
    expect(exit.seen).toEqual(["ready", "stopped"]);
    expect(exit.code === 0 || exit.signal === "SIGINT", JSON.stringify(exit)).toBe(true);
  }, 120_000);
});

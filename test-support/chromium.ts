import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where the inspector's browser tests find Chromium unless `CHROMIUM_PATH` says otherwise. */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** What the test run does about Chromium before any test starts. */
export type ChromiumPlan =
  | { readonly action: "ready"; readonly path: string }
  | { readonly action: "install"; readonly path: string; readonly sudo: boolean }
  | { readonly action: "missing"; readonly path: string; readonly message: string };

/** What the plan depends on, passed in so that a test can describe another machine. */
export interface ChromiumFacts {
  /** Whether a file exists at this path. */
  readonly exists: (path: string) => boolean;
  /** Whether this process runs as root. */
  readonly isRoot: boolean;
}

/** Finds an executable on the `PATH` of `env`. */
export function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Decides whether Chromium is there, can be installed the way CI does it (Debian's package
 * through apt-get, as root or through sudo), or is missing with the command that fixes it.
 * A `CHROMIUM_PATH` set by hand is never replaced by an install elsewhere.
 */
export function planChromium(env: NodeJS.ProcessEnv, facts: ChromiumFacts): ChromiumPlan {
  const explicit = env.CHROMIUM_PATH;
  const path = explicit ?? DEBIAN_CHROMIUM;
  if (facts.exists(path)) return { action: "ready", path };
  if (explicit !== undefined) {
    return {
      action: "missing",
      path,
      message: `CHROMIUM_PATH=${explicit} does not exist, and the inspector's browser tests need Chromium there: point CHROMIUM_PATH at a Chromium, or unset it to let the tests install Debian's (${DEBIAN_CHROMIUM}).`,
    };
  }
  const hasApt = onPath("apt-get", env);
  const sudo = !facts.isRoot && onPath("sudo", env);
  if (hasApt && (facts.isRoot || sudo)) return { action: "install", path, sudo };
  const why = hasApt ? "this user is not root and has no sudo" : "this machine has no apt-get";
  return {
    action: "missing",
    path,
    message: `Chromium is missing at ${path} and cannot be installed here (${why}); the inspector's browser tests will fail until it is there: sudo apt-get install -y chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium.`,
  };
}

/** Runs `apt-get update` then `apt-get install chromium`, quietly; returns what went wrong, if anything. */
function installChromium(sudo: boolean): string | undefined {
  const prefix = sudo ? ["sudo", "-n"] : [];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", "chromium"],
  ]) {
    const [command, ...rest] = [...prefix, ...args] as [string, ...string[]];
    const result = spawnSync(command, rest, { stdio: ["ignore", 2, 2], env });
    if (result.error) return `${args.join(" ")}: ${result.error.message}`;
    if (result.status !== 0) return `${args.join(" ")} exited with ${result.status}`;
  }
  return undefined;
}

/**
 * Global setup of the browser tests' project: runs before any test, and only when a browser
 * test is among those selected. It installs Chromium as CI does, saying so in one line, or
 * says in one line why it cannot and what fixes it. It never skips: without Chromium the
 * browser tests fail with the same reason.
 */
export default function setup(): void {
  const plan = planChromium(process.env, {
    exists: existsSync,
    isRoot: process.getuid?.() === 0,
  });
  const say = (line: string) => process.stderr.write(`[tests] ${line}\n`);
  if (plan.action === "ready") return;
  if (plan.action === "missing") {
    say(plan.message);
    return;
  }
  say(
    `installing Debian's chromium for the inspector's browser tests (${plan.sudo ? "sudo " : ""}apt-get install -y chromium)`,
  );
  const problem = installChromium(plan.sudo);
  if (problem !== undefined || !existsSync(plan.path)) {
    say(
      `could not install chromium (${problem ?? `${plan.path} is still missing`}); the inspector's browser tests will fail: sudo apt-get install -y chromium, or set CHROMIUM_PATH.`,
    );
  }
}

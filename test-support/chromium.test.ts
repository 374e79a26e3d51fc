import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEBIAN_CHROMIUM, planChromium } from "./chromium.ts";

const nothingExists = { exists: () => false, isRoot: false };

/** A PATH holding only the given executables (empty files with the execute bit). */
async function pathWith(...commands: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "chromium-plan-"));
  for (const command of commands) await writeFile(join(dir, command), "", { mode: 0o755 });
  return dir;
}

describe("planChromium", () => {
  it("is ready when Chromium is at CHROMIUM_PATH, or at Debian's path when unset", async () => {
    const fake = join(await pathWith("chromium"), "chromium");
    expect(planChromium({ CHROMIUM_PATH: fake }, { exists: () => true, isRoot: false })).toEqual({
      action: "ready",
      path: fake,
    });
    const atDebian = { exists: (path: string) => path === DEBIAN_CHROMIUM, isRoot: false };
    expect(planChromium({}, atDebian)).toEqual({ action: "ready", path: DEBIAN_CHROMIUM });
  });

  it("installs through apt-get as root, or through sudo otherwise", async () => {
    const root = { ...nothingExists, isRoot: true };
    expect(planChromium({ PATH: await pathWith("apt-get") }, root)).toEqual({
      action: "install",
      path: DEBIAN_CHROMIUM,
      sudo: false,
    });
    expect(planChromium({ PATH: await pathWith("apt-get", "sudo") }, nothingExists)).toEqual({
      action: "install",
      path: DEBIAN_CHROMIUM,
      sudo: true,
    });
  });

  it("says in one line why it cannot install, with the command that fixes it", async () => {
    const noApt = planChromium(
      { PATH: await pathWith("sudo") },
      { ...nothingExists, isRoot: true },
    );
    expect(noApt.action).toBe("missing");
    expect(noApt).toMatchObject({ message: expect.stringContaining("no apt-get") });
    const notRoot = planChromium({ PATH: await pathWith("apt-get") }, nothingExists);
    expect(notRoot).toMatchObject({
      action: "missing",
      message: expect.stringContaining("not root and has no sudo"),
    });
    for (const plan of [noApt, notRoot]) {
      if (plan.action !== "missing") throw new Error("expected missing");
      expect(plan.message).toContain("sudo apt-get install -y chromium");
      expect(plan.message).not.toContain("\n");
    }
  });

  it("never installs elsewhere than a CHROMIUM_PATH set by hand, and says to fix or unset it", async () => {
    const PATH = await pathWith("apt-get");
    const plan = planChromium(
      { CHROMIUM_PATH: "/nowhere/chromium", PATH },
      { ...nothingExists, isRoot: true },
    );
    expect(plan).toMatchObject({
      action: "missing",
      path: "/nowhere/chromium",
      message: expect.stringContaining("CHROMIUM_PATH=/nowhere/chromium does not exist"),
    });
  });
});

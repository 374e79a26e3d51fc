import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuMsByCommand, cpuMsOf } from "../src/children.ts";

describe("cpuMsByCommand", () => {
  it("finds this process under its own command name, with the CPU cpuMsOf reads", () => {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const found = cpuMsByCommand(name);
    expect(found.has(process.pid)).toBe(true);
    expect(found.get(process.pid)).toBeLessThanOrEqual(cpuMsOf(process.pid) ?? 0);
  });

  it("finds nothing for a command no process has", () => {
    expect(cpuMsByCommand("no-such-command-here").size).toBe(0);
  });
});

// HTTP-only users of the kit (the customer service, the orchestrator) must not load the
// participant runtime. Walks the static imports reachable from the main entry.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

function reachableImports(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [resolve(here, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^\s*(?:import|export)[^"']*?from\s+["']([^"']+)["']/gm)) {
      const target = match[1] as string;
      if (target.startsWith(".")) queue.push(resolve(dirname(file), target));
      else packages.add(target);
    }
  }
  return { files, packages };
}

describe("service-kit entry points", () => {
  it("the main entry reaches neither the participant SDK nor the topology", () => {
    const { files, packages } = reachableImports("index.ts");
    expect(files.length).toBeGreaterThan(3);
    expect(packages).toContain("fastify");
    expect([...packages].filter((name) => /participant-sdk|topology/.test(name))).toEqual([]);
  });

  it("the participant subpath carries the participant runtime", () => {
    const { packages } = reachableImports("participant/index.ts");
    expect(packages).toContain("@sagaworks/participant-sdk");
  });
});

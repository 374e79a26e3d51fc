import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEPLOYABLES } from "@sagaworks/deployables";
import { describe, expect, it } from "vitest";
import { REPOSITORY_ROOT } from "./deploy-folder.ts";
import { NODE_BASE_IMAGE, renderDockerfile } from "./dockerfile.ts";

const onDisk = (path: string) => readFileSync(join(REPOSITORY_ROOT, path, "Dockerfile"), "utf8");

describe("the Dockerfiles", () => {
  it("exist for every deployable at <path>/Dockerfile and match their generator", () => {
    for (const deployable of DEPLOYABLES) {
      expect(onDisk(deployable.path), deployable.path).toBe(renderDockerfile(deployable));
    }
  });

  it("are multi-stage from a pinned base, run the tested deploy-folder build, as non-root, with a healthcheck and node as the command", () => {
    expect(NODE_BASE_IMAGE).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim$/);
    for (const deployable of DEPLOYABLES) {
      const text = onDisk(deployable.path);
      expect(text.match(/^FROM .*$/gm)).toEqual([
        `FROM ${NODE_BASE_IMAGE} AS build`,
        `FROM ${NODE_BASE_IMAGE} AS runtime`,
      ]);
      expect(text).toContain(`RUN node infra/src/images/build-main.ts ${deployable.name} /out`);
      expect(text).toContain("COPY --from=build --chown=node:node /out /app");
      expect(text).toMatch(/^USER node$/m);
      expect(text).toContain(`EXPOSE ${deployable.port}`);
      expect(text).toContain(`fetch('http://127.0.0.1:${deployable.port}/health')`);
      expect(text.trim().split("\n").at(-1)).toBe('CMD ["node", "dist/main.js"]');
    }
  });
});

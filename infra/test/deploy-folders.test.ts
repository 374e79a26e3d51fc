// The image's content, proven without a Docker engine: the same `pnpm deploy --prod` folders the
// Dockerfiles build, each started with plain Node (`node dist/main.js`, the image's CMD) against
// the run's broker, answering /ready.
import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOYABLES, type Deployable } from "@sagaworks/deployables";
import { createTestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import { startServiceProcess } from "@sagaworks/service-kit/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildDeployFolder, DEPLOY_ENTRY } from "../src/images/deploy-folder.ts";

const folders = new Map<string, string>();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), "deploy-folders-"));
  // One after another: pnpm deploy and esbuild share two cores with the rest of the run.
  for (const deployable of DEPLOYABLES) {
    const out = join(base, deployable.name);
    await buildDeployFolder(deployable, out);
    folders.set(deployable.name, out);
  }
}, 600_000);

// Each participant's own reply key; the orchestrator holds both.
const ORDER_REPLY_KEY = "deploy-folder-order-reply-key-0123456789";
const ACCOUNT_REPLY_KEY = "deploy-folder-account-reply-key-0123456789";

/** The environment of each deployable as the Helm chart and the Dockerfiles set it. */
function environmentOf(deployable: Deployable, folder: string, schema: string) {
  const common = {
    AWS_ENDPOINT_URL: inject("brokerEndpoint"),
    SAGAWORKS_ENV_PREFIX: uniqueTestName(`deploy ${deployable.name}`, 28),
    // Each process here is alone on the broker, so it creates the queues it needs.
    SAGAWORKS_APPLY_TOPOLOGY: "true",
    SAGAWORKS_ENV: "",
    // A deployed process has no development secrets: it must be given them.
    SERVICE_WRITE_TOKEN: "deploy-folder-write-token",
    COMMAND_SIGNING_KEY: "deploy-folder-command-signing-key-0123456789",
    HOST: "127.0.0.1",
    PORT: "0",
  };
  switch (deployable.name) {
    case "orchestrator":
      return {
        ...common,
        ORCHESTRATOR_PORT: "0",
        ORCHESTRATOR_DB_SCHEMA: schema,
        ORCHESTRATOR_API_TOKEN: "deploy-folder-token-0123",
        REPLY_SIGNING_KEYS: `order=${ORDER_REPLY_KEY},account=${ACCOUNT_REPLY_KEY}`,
        SAGA_DEFINITIONS_DIR: join(folder, "saga-definitions"),
      };
    case "order":
      return { ...common, ORDER_DB_SCHEMA: schema, REPLY_SIGNING_KEY: ORDER_REPLY_KEY };
    case "account":
      return { ...common, ACCOUNT_DB_SCHEMA: schema, REPLY_SIGNING_KEY: ACCOUNT_REPLY_KEY };
    case "customer":
      return { ...common, CUSTOMER_DB_SCHEMA: schema };
  }
}

describe("the pnpm deploy --prod folders", () => {
  it("hold a bundled entry point and no development-only package", async () => {
    for (const [name, folder] of folders) {
      expect(existsSync(join(folder, DEPLOY_ENTRY)), name).toBe(true);
      const modules = await readdir(join(folder, "node_modules"));
      for (const devOnly of [
        "fauxqs",
        "@electric-sql",
        "knex-pglite",
        "testcontainers",
        "vitest",
      ]) {
        expect(modules, `${name} ships ${devOnly}`).not.toContain(devOnly);
      }
      expect(modules).not.toContain("@sagaworks");
    }
  });

  it("refuse the embedded fallbacks even in dev, since the emulator and PGlite are not there", async () => {
    const folder = folders.get("order") ?? "";
    const started = startServiceProcess(join(folder, DEPLOY_ENTRY), {
      SAGAWORKS_ENV: "dev",
      PORT: "0",
    });
    expect(await started.exited).toBe(1);
    const fatal = started.lines.find((line) => line.level === 60) as { err: { message: string } };
    expect(fatal.err.message).toContain(
      "development dependency and is not installed in this build",
    );
  });

  // A deployed process needs a real Postgres (PGlite is not in the folder), so this part runs
  // where DATABASE_URL is set, as in CI; without it vitest reports it as skipped.
  it.runIf(process.env.DATABASE_URL)(
    "start with plain Node against the broker and answer /ready: orchestrator, order, account, customer",
    async () => {
      for (const deployable of DEPLOYABLES) {
        const folder = folders.get(deployable.name) ?? "";
        const db = await createTestDatabase(`deploy ${deployable.name}`, process.env);
        cleanups.push(() => db.drop());
        const started = startServiceProcess(join(folder, DEPLOY_ENTRY), {
          ...environmentOf(deployable, folder, db.schema),
          DATABASE_URL: process.env.DATABASE_URL ?? "",
        });
        cleanups.push(() => started.stop(true));
        const address = await started.ready(deployable.name);
        // Polled as a readiness probe is: on a loaded machine one queue probe can time out just
        // after start-up, and /ready then says 503 until the next probe answers.
        let ready = await fetch(`${address}/ready`);
        for (let i = 0; i < 60 && ready.status !== 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          ready = await fetch(`${address}/ready`);
        }
        expect(ready.status, `${deployable.name}: ${await ready.text()}`).toBe(200);
        expect(await started.stop()).toBe(0);
      }
    },
    300_000,
  );
});

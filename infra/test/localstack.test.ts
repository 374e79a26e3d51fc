// localstack/ cannot run here (no Docker engine). What can be proven without it is: the
// compose file's shape, that the hook's topology file is the current derivation, and that the
// hook itself builds that topology on an SQS/SNS endpoint (the run's emulator stands in for
// LocalStack; the hook is plain boto3, which both speak).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEPLOYABLES } from "@sagaworks/deployables";
import { createAwsClients } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import {
  DEFAULT_DEFINITIONS_DIR,
  environmentTopology,
  loadSagaDefinitions,
  resolveTopology,
  type Topology,
  topologySettings,
  topologySettingsShape,
} from "@sagaworks/topology";
import { describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { REPOSITORY_ROOT } from "../src/images/deploy-folder.ts";

const localstack = join(REPOSITORY_ROOT, "localstack");
const topologyFile = join(localstack, "topology.json");
const hook = join(localstack, "init/ready.d/10-apply-topology.py");

interface ComposeService {
  image?: string;
  profiles?: string[];
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  environment?: Record<string, string>;
  command?: unknown;
}
const compose = parse(readFileSync(join(localstack, "docker-compose.yml"), "utf8"), {
  merge: true,
}) as { services: Record<string, ComposeService> };

describe("localstack/", () => {
  it("topology.json is the current derivation (regenerate it with `topology print` when this fails)", async () => {
    const expected = environmentTopology({
      prefix: "dev",
      definitions: await loadSagaDefinitions(DEFAULT_DEFINITIONS_DIR),
      settings: topologySettings(z.object(topologySettingsShape).parse({})),
    });
    expect(JSON.parse(readFileSync(topologyFile, "utf8"))).toEqual(expected);
  });

  it("mounts the ready hook into LocalStack, and runs no pnpm install", () => {
    const { localstack: service } = compose.services;
    expect(service?.image).toMatch(/^localstack\/localstack:\d+\.\d+\.\d+$/);
    expect(service?.volumes).toContain("./init/ready.d:/etc/localstack/init/ready.d:ro");
    expect(service?.volumes).toContain("./topology.json:/etc/sagaworks/topology.json:ro");
    for (const [name, other] of Object.entries(compose.services)) {
      // No one-shot container that installs into, or mounts, the host's checkout.
      expect(other.command, name).toBeUndefined();
      for (const volume of other.volumes ?? []) expect(volume, name).not.toMatch(/^\.\.(\/|:)/);
    }
  });

  it("runs the four deployables from their Dockerfiles behind the app profile, on the hook's queues", () => {
    for (const deployable of DEPLOYABLES) {
      const service = compose.services[deployable.name];
      expect(service?.profiles, deployable.name).toEqual(["app"]);
      expect(service?.build).toEqual({
        context: "..",
        dockerfile: `${deployable.path}/Dockerfile`,
      });
      expect(service?.environment).toMatchObject({
        AWS_ENDPOINT_URL: "http://localstack:4566",
        SAGAWORKS_APPLY_TOPOLOGY: "false",
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        // A deployed process refuses to start without its secrets.
        SERVICE_WRITE_TOKEN: expect.any(String),
        COMMAND_SIGNING_KEY: expect.any(String),
      });
    }
  });

  it("the ready hook creates the derived topology, redrive policies included, and is idempotent", async () => {
    const prefix = uniqueTestName("hook", 24);
    const runHook = () =>
      spawnSync("python3", [hook], {
        env: {
          PATH: process.env.PATH ?? "",
          SAGAWORKS_TOPOLOGY_FILE: topologyFile,
          SAGAWORKS_HOOK_ENDPOINT: inject("brokerEndpoint"),
          SAGAWORKS_ENV_PREFIX: prefix,
        },
        encoding: "utf8",
      });
    const first = runHook();
    expect(first.status, `python3 with boto3 runs the hook: ${first.stderr}`).toBe(0);
    expect(first.stdout).toContain(`sagaworks topology applied: 10 queues, 2 topics`);
    expect(runHook().status).toBe(0);

    const derived = JSON.parse(readFileSync(topologyFile, "utf8")) as Topology;
    const renamed = JSON.parse(
      JSON.stringify(derived)
        .replaceAll('"dev-', `"${prefix}-`)
        .replace('"prefix":"dev"', `"prefix":"${prefix}"`),
    ) as Topology;
    const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
    const resolved = await resolveTopology(clients, renamed);
    const { GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: resolved.queueUrls[`${prefix}-order-commands`],
        AttributeNames: ["RedrivePolicy"],
      }),
    );
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}")).toMatchObject({
      deadLetterTargetArn: resolved.queueArns[`${prefix}-order-commands-dlq`],
    });
    expect(String(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}").maxReceiveCount)).toBe(
      "5",
    );
    clients.destroy();
  });
});

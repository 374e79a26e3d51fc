// The chart cannot be rendered here (no helm binary); it is parsed instead: every value the
// templates read exists in values.yaml for every deployable that reads it, the image tags sit
// where the GitOps bump writes them, and each KEDA trigger names a queue of the topology.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEPLOYABLES,
  HELM_VALUES_FILE,
  helmImageTagPath,
  imageRepositoryName,
} from "@sagaworks/deployables";
import {
  DEFAULT_DEFINITIONS_DIR,
  environmentTopology,
  loadSagaDefinitions,
  QueueRole,
  SUB_SAGA_SERVICE,
  topologySettings,
  topologySettingsShape,
} from "@sagaworks/topology";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { REPOSITORY_ROOT } from "../src/images/deploy-folder.ts";

const chart = join(REPOSITORY_ROOT, "infra/helm/sagaworks");
const values = parse(readFileSync(join(REPOSITORY_ROOT, HELM_VALUES_FILE), "utf8")) as Record<
  string,
  unknown
>;
const template = (file: string) => readFileSync(join(chart, "templates", file), "utf8");

function valueAt(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== "object" || !(key in current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The paths a template text reads from `prefix` (`$.Values.` or `$d.`). */
function references(text: string, prefix: string): string[][] {
  const pattern = new RegExp(`${prefix.replace(/[$.]/g, "\\$&")}([A-Za-z0-9_.]+)`, "g");
  return [...text.matchAll(pattern)].map((match) => (match[1] ?? "").split("."));
}

describe("the Helm chart", () => {
  it("keeps each deployable's image where the GitOps bump writes it", () => {
    expect(HELM_VALUES_FILE).toBe("infra/helm/sagaworks/values.yaml");
    for (const deployable of DEPLOYABLES) {
      expect(valueAt(values, helmImageTagPath(deployable.name)), deployable.name).toEqual(
        expect.any(String),
      );
      expect(valueAt(values, [deployable.name, "image", "repository"])).toBe(
        imageRepositoryName(deployable.name),
      );
      expect(valueAt(values, [deployable.name, "port"])).toBe(deployable.port);
    }
  });

  it("templates the four deployables of @sagaworks/deployables, in their order", () => {
    const list = template("_helpers.tpl").match(
      /define "sagaworks.deployables" -}}\s*([^{]+)/,
    )?.[1];
    expect(list?.trim().split(/\s+/)).toEqual(DEPLOYABLES.map((d) => d.name));
  });

  it("reads only values that exist, for every deployable that reads them", () => {
    const deployments = template("deployments.yaml");
    const scaled = template("scaledobjects.yaml");
    for (const text of [deployments, scaled]) {
      for (const path of references(text, "$.Values.")) {
        expect(valueAt(values, path), path.join(".")).toBeDefined();
      }
    }
    // deployments.yaml: the orchestrator-only block is read by the orchestrator only.
    const [common = "", orchestratorOnly = ""] = (() => {
      const start = deployments.indexOf('{{- if eq $name "orchestrator" }}');
      const end = deployments.indexOf("{{- else }}", start);
      return [deployments.slice(0, start) + deployments.slice(end), deployments.slice(start, end)];
    })();
    expect(orchestratorOnly).toContain("$d.apiTokenSecret");
    expect(references(common, "$d.").map((p) => p.join("."))).toEqual(
      expect.arrayContaining(["replicas", "image.repository", "image.tag", "port", "resources"]),
    );
    for (const deployable of DEPLOYABLES) {
      const own = values[deployable.name];
      const read = [
        ...references(common, "$d."),
        ...(deployable.name === "orchestrator" ? references(orchestratorOnly, "$d.") : []),
      ];
      for (const path of read) {
        expect(valueAt(own, path), `${deployable.name}.${path.join(".")}`).toBeDefined();
      }
      const autoscaling = valueAt(own, ["autoscaling", "enabled"]);
      expect(typeof autoscaling, `${deployable.name}.autoscaling.enabled`).toBe("boolean");
      if (autoscaling) {
        for (const path of references(scaled, "$d.")) {
          expect(valueAt(own, path), `${deployable.name}.${path.join(".")}`).toBeDefined();
        }
      }
    }
  });

  it("passes the orchestrator its retention settings: period, archive, archive index", () => {
    const deployments = template("deployments.yaml");
    for (const [env, value] of [
      ["SAGA_RETENTION_DAYS", "retentionDays"],
      ["SAGA_ARCHIVE", "archive"],
      ["SAGA_ARCHIVE_INDEX_DAYS", "archiveIndexDays"],
    ] as const) {
      expect(deployments).toMatch(
        new RegExp(`- name: ${env}\\s*\\n\\s*value: \\{\\{ \\$d\\.${value} \\| quote \\}\\}`),
      );
    }
    // Empty until the CDK stack's SagaArchive output is filled in; the chart then sets no
    // SAGA_ARCHIVE and the orchestrator keeps finished sagas rather than prune them blind.
    expect(deployments).toContain("{{- if $d.archive }}");
    expect(valueAt(values, ["orchestrator", "retentionDays"])).toBe(90);
    expect(valueAt(values, ["orchestrator", "archiveIndexDays"])).toBe(400);
  });

  it("passes the orchestrator SAGA_CHAIN_STEPS, on: every participant of the chart knows chains", () => {
    expect(template("deployments.yaml")).toMatch(
      /- name: SAGA_CHAIN_STEPS\s*\n\s*value: \{\{ \$d\.chainSteps \| quote \}\}/,
    );
    expect(valueAt(values, ["orchestrator", "chainSteps"])).toBe(true);
  });

  it("probes /health for liveness and /ready for readiness", () => {
    const deployments = template("deployments.yaml");
    expect(deployments).toMatch(/livenessProbe:\s*\n\s*httpGet: \{ path: \/health/);
    expect(deployments).toMatch(/readinessProbe:\s*\n\s*httpGet: \{ path: \/ready/);
    expect(deployments).toContain("SAGAWORKS_APPLY_TOPOLOGY");
  });

  it("scales each consumer with KEDA on every queue of the derived topology that it consumes", async () => {
    // The sub-saga commands queue belongs to the pseudo-service "sagas", which the orchestrator
    // serves (as the CDK stack grants it).
    const consumerOf = (queue: { owner: string }) =>
      queue.owner === SUB_SAGA_SERVICE ? "orchestrator" : queue.owner;
    expect(template("scaledobjects.yaml")).toContain("type: aws-sqs-queue");
    const prefix = String(valueAt(values, ["global", "envPrefix"]));
    const topology = environmentTopology({
      prefix,
      definitions: await loadSagaDefinitions(DEFAULT_DEFINITIONS_DIR),
      settings: topologySettings(z.object(topologySettingsShape).parse({})),
    });
    expect(valueAt(values, ["global", "maxReceiveCount"])).toBe(
      topology.queues.find((q) => q.maxReceiveCount)?.maxReceiveCount,
    );
    const scaled = DEPLOYABLES.filter((d) => valueAt(values, [d.name, "autoscaling", "enabled"]));
    expect(scaled.map((d) => d.name)).toEqual(["orchestrator", "order", "account"]);
    for (const deployable of scaled) {
      const listed = valueAt(values, [deployable.name, "autoscaling", "queues"]) as {
        queue: string;
        queueLength: number;
      }[];
      const names = listed.map((entry) => `${prefix}-${entry.queue}`);
      for (const [index, queue] of names.entries()) {
        const spec = topology.queues.find((q) => q.name === queue);
        expect(spec, queue).toBeDefined();
        expect(spec?.role).not.toBe(QueueRole.deadLetter);
        expect(spec && consumerOf(spec)).toBe(deployable.name);
        expect(listed[index]?.queueLength, `${queue} queueLength`).toBeGreaterThan(0);
      }
      // Every queue the deployable consumes scales it: a backlog on any of them is work waiting.
      const consumed = topology.queues
        .filter((q) => consumerOf(q) === deployable.name && q.role !== QueueRole.deadLetter)
        .map((q) => q.name);
      expect(names.sort(), `${deployable.name} scales on every queue it consumes`).toEqual(
        consumed.sort(),
      );
    }
  });
});

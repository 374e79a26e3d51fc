// The dashboard and the alert rules in ops/observability/ query only metrics that a running
// system exposes: the whole back end runs, sagas go through it, every process's /metrics is
// scraped and read by a strict exposition-format parser.
import { readFileSync } from "node:fs";
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  familyName,
  type MetricFamily,
  metricNamesIn,
  parsePrometheusText,
} from "./prometheus-text.ts";

const observability = new URL("../observability/", import.meta.url);
const TOKEN = "observability-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

let system: RunningSystem;
/** Each process's parsed /metrics, by part. */
const scraped = new Map<string, Map<string, MetricFamily>>();

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function settled(sagaId: string): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const response = await fetch(`${system.urls.orchestrator}/sagas/${sagaId}`, { headers: auth });
    const { status } = (await response.json()) as { status: string };
    if (["completed", "compensated", "failed", "needs-intervention"].includes(status))
      return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`saga ${sagaId} did not settle`);
}

beforeAll(async () => {
  system = await startTestSystem("observability metrics", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: TOKEN,
  });
  const customerId = await openCustomer(system, 10_000);
  const order = (totalCents: number) => ({
    input: {
      customerId,
      items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
      totalCents,
    },
  });
  // One approved order and one over the limit (compensated): both outcomes get samples.
  const approved = await post(`${system.urls.orchestrator}/sagas/create-order`, order(1_000), auth);
  const rejected = await post(
    `${system.urls.orchestrator}/sagas/create-order`,
    order(50_000),
    auth,
  );
  expect(await settled(String(approved.sagaId))).toBe("completed");
  expect(await settled(String(rejected.sagaId))).toBe("compensated");
  for (const [part, url] of Object.entries(system.urls)) {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    scraped.set(part, parsePrometheusText(await response.text()));
  }
}, 180_000);

afterAll(async () => {
  if (!system) return;
  await stopSystemAndDropSchemas(system);
});

/** Every family any process exposes. */
function allFamilies(): Map<string, MetricFamily> {
  const all = new Map<string, MetricFamily>();
  for (const families of scraped.values()) for (const [name, f] of families) all.set(name, f);
  return all;
}

function sampleValue(name: string, labels: Record<string, string>): number {
  const families = allFamilies();
  const samples = families.get(familyName(name, families))?.samples ?? [];
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe("/metrics on every process", () => {
  it("serves valid Prometheus text with the saga metrics counted", () => {
    expect([...scraped.keys()].sort()).toEqual(["account", "customer", "orchestrator", "order"]);
    expect(sampleValue("sagaworks_sagas_started_total", { saga: "create-order" })).toBe(2);
    expect(sampleValue("sagaworks_sagas_finished_total", { outcome: "completed" })).toBe(1);
    expect(sampleValue("sagaworks_sagas_finished_total", { outcome: "compensated" })).toBe(1);
    expect(
      sampleValue("sagaworks_commands_total", { service: "account", outcome: "replied" }),
    ).toBeGreaterThan(0);
    expect(sampleValue("sagaworks_replies_total", { outcome: "applied" })).toBeGreaterThan(0);
    expect(
      sampleValue("sagaworks_step_duration_seconds_count", { saga: "create-order" }),
    ).toBeGreaterThan(0);
    expect(
      sampleValue("sagaworks_aws_requests_total", { api: "SQS.ReceiveMessage" }),
    ).toBeGreaterThan(0);
    expect(sampleValue("sagaworks_db_pool_connections", { state: "max" })).toBeGreaterThan(0);
    expect(allFamilies().has("nodejs_eventloop_lag_p99_seconds")).toBe(true);
  });

  it("follows the naming rules: counters end in _total, no label holds an id", () => {
    for (const family of allFamilies().values()) {
      if (family.type === "counter") expect(family.name).toMatch(/_total$/);
      if (family.name.startsWith("sagaworks_")) expect(family.help ?? "").not.toBe("");
      for (const sample of family.samples) {
        for (const value of Object.values(sample.labels)) expect(value).not.toMatch(UUID);
      }
    }
  });
});

describe("ops/observability", () => {
  const dashboard = JSON.parse(
    readFileSync(new URL("grafana-dashboard.json", observability), "utf8"),
  ) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const alerts = parseYaml(readFileSync(new URL("alerts.yml", observability), "utf8")) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const queries = [
    ...dashboard.panels.flatMap((p) =>
      p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
    ),
    ...alerts.groups.flatMap((g) =>
      g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ),
  ];

  it("has the alerts the runbook relies on", () => {
    const names = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        "SagasNeedIntervention",
        "OutboxOldestRowOld",
        "DeadLetterQueueNotEmpty",
        "SagasPastDeadline",
      ]),
    );
  });

  it("queries only metrics that a running system exposes", () => {
    const families = allFamilies();
    const missing = queries.flatMap(({ where, expr }) => {
      const names = metricNamesIn(expr);
      expect(names.length, `${where} reads no metric: ${expr}`).toBeGreaterThan(0);
      return names
        .filter((name) => !families.has(familyName(name, families)))
        .map((name) => `${where}: ${name}`);
    });
    expect(missing).toEqual([]);
  });
});

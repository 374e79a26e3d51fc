// Logs of the whole back end at debug level: every line written while handling a saga carries

// its fields, each transition is one info line, and no secret reaches the output.
import { Writable } from "node:stream";
import { createDatabase, createLogger } from "@sagaworks/platform";
import type { RunningSystem } from "@sagaworks/system";
import { startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const API_TOKEN = `tok-${crypto.randomUUID()}`;
const DB_PASSWORD = `pw-${crypto.randomUUID()}`;
/** The services' write token: a secret too, sent on every write to the customer and account services. */
const SERVICE_TOKEN = `svc-${crypto.randomUUID()}`;
const lines: string[] = [];
const output = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    done();
  },
});
const logger = createLogger({ name: "system", level: "debug", destination: output });
let system: RunningSystem;
const sagas: { approved: string; rejected: string } = { approved: "", rejected: "" };

/** DATABASE_URL with a password in it (the test Postgres trusts local connections, so any works). */
function urlWithPassword(): string | undefined {
  if (!process.env.DATABASE_URL) return undefined;
  const url = new URL(process.env.DATABASE_URL);
  url.password = DB_PASSWORD;
  return url.toString();
}

async function request(url: string, body?: unknown, token = API_TOKEN) {
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function settled(sagaId: string): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const { body } = await request(`${system.urls.orchestrator}/sagas/${sagaId}`);
    if (["completed", "compensated", "failed", "needs-intervention"].includes(String(body.status)))
      return String(body.status);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`saga ${sagaId} did not settle`);
}

beforeAll(async () => {
  system = await startTestSystem("logs carry the saga", {
    logger,
    databaseUrl: urlWithPassword(),
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: API_TOKEN,
    serviceToken: SERVICE_TOKEN,
  });
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  // The services take their own write token, not the orchestrator's: without it both answer 401,
  // the customer does not exist and the saga that should complete fails.
  const created = await request(
    `${system.urls.customer}/customers`,
    {
      id: customerId,
      name: "Log Customer",
      email: `${customerId}@example.com`,
      creditLimitCents: 10_000,
    },
    SERVICE_TOKEN,
  );
  expect(created.status).toBe(201);
  const opened = await request(
    `${system.urls.account}/accounts`,
    { customerId, creditLimitCents: 10_000 },
    SERVICE_TOKEN,
  );
  expect(opened.status).toBe(201);
  const order = (totalCents: number) => ({
    input: {
      customerId,
      items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
      totalCents,
    },
  });
  const start = (totalCents: number) =>
    request(`${system.urls.orchestrator}/sagas/create-order`, order(totalCents));
  sagas.approved = String((await start(1_000)).body.sagaId);
  sagas.rejected = String((await start(50_000)).body.sagaId);
  expect(await settled(sagas.approved)).toBe("completed");
  expect(await settled(sagas.rejected)).toBe("compensated");
  // A wrong token, and a database that refuses: both are logged, neither with its secret.
  expect(
    (
      await request(
        `${system.urls.orchestrator}/sagas/${sagas.approved}`,
        undefined,
        "x".repeat(20),
      )
    ).status,
  ).toBe(401);
  await expect(
    createDatabase({ databaseUrl: `postgres://app:${DB_PASSWORD}@127.0.0.1:1/none`, logger }),
  ).rejects.toThrow();
  logger.debug(
    {
      config: {
        ORCHESTRATOR_API_TOKEN: API_TOKEN,
        DATABASE_URL: urlWithPassword() ?? `postgres://app:${DB_PASSWORD}@db/x`,
      },
    },
    "configuration read",
  );
  logger.flush();
}, 180_000);

afterAll(async () => {
  if (!system) return;
  await stopSystemAndDropSchemas(system);
});

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe("logs at debug level", () => {
  it("never contain the API token or the database password", () => {
    // Enough to be the whole run's logs (each HTTP request is one debug line since the request
    // logs moved to debug), not a capture that missed the processes.
    expect(lines.length).toBeGreaterThan(30);
    expect(parsed().some((line) => line.level === 20)).toBe(true);
    const leaks = lines.filter(
      (line) =>
        line.includes(API_TOKEN) || line.includes(DB_PASSWORD) || line.includes(SERVICE_TOKEN),
    );
    expect(leaks).toEqual([]);
    expect(lines.some((line) => line.includes("[redacted]"))).toBe(true);
  });

  it("carry sagaId, saga, step, attempt and traceId on every line written for a saga", () => {
    const sagaLines = parsed().filter((line) => line.sagaId === sagas.approved);
    // At least the start and a transition line for the customer's answer and for each reply.
    expect(sagaLines.length).toBeGreaterThanOrEqual(5);
    for (const line of sagaLines) {
      expect(line, JSON.stringify(line)).toMatchObject({ saga: "create-order" });
      expect(line.traceId, JSON.stringify(line)).toMatch(/^[0-9a-f]{32}$/);
    }
    // One trace id per saga, on every process that handled it.
    expect(new Set(sagaLines.map((line) => line.traceId)).size).toBe(1);
    // Lines written while handling a step (participants' commands, replies) name the step and attempt.
    const stepLines = sagaLines.filter((line) => line.msg !== `saga started: create-order@1`);
    for (const line of stepLines) {
      expect(typeof line.step, JSON.stringify(line)).toBe("string");
      expect(typeof line.attempt, JSON.stringify(line)).toBe("number");
    }
  });

  it("write one info line per transition, from → to, that grep finds by saga id", () => {
    const transitions = lines
      .filter((line) => line.includes(sagas.rejected) && line.includes('"from"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            level: number;
            from: string;
            to: string;
            event: string;
            msg: string;
          },
      );
    expect(transitions.length).toBeGreaterThan(2);
    for (const t of transitions) {
      expect(t.level).toBe(30);
      expect(t.msg).toBe(`saga ${t.from} → ${t.to}`);
    }
    expect(transitions.at(-1)?.to).toMatch(/^compensated\//);
  });
});

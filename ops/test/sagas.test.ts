// ops sagas against real sagas: list, show, and the operator actions through the orchestrator
// API, including what the pivot rules refuse. ops reaches the system only through that API and
// the system runs in this process, so this runs on the embedded Postgres as on DATABASE_URL.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OpsHarness } from "./harness.ts";

describe("ops sagas", () => {
  let h: OpsHarness;
  let completed: string;
  let stalled: string;
  beforeAll(async () => {
    h = await OpsHarness.start("ops sagas", inject("brokerEndpoint"));
    completed = await h.startOrder(await h.newCustomer(10_000), 1_000);
    await h.waitForStatus(completed, "completed");
    [stalled = ""] = (await h.stallOrders(1)).sagaIds;
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  it("lists sagas by status and age, and shows one's timeline", async () => {
    const running = await h.opsJson<{ id: string; name: string; status: string }[]>(
      "sagas",
      "list",
      "--status",
      "running",
    );
    expect(running).toEqual([
      expect.objectContaining({ id: stalled, name: "create-order", status: "running" }),
    ]);
    const all = await h.opsJson<{ id: string }[]>("sagas", "list", "--name", "create-order");
    expect(all.map((s) => s.id).sort()).toEqual([completed, stalled].sort());
    expect(
      await h.opsJson<unknown[]>("sagas", "list", "--status", "completed", "--older-than", "1h"),
    ).toEqual([]);

    const shown = await h.ops("sagas", "show", stalled);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain("waits on reserve-credit attempt 1, for a reply");
    expect(shown.out).toMatch(/timeline:\n\s+1 .*start/);
    // The steps in the order create-order runs them, not the database's key order.
    const steps = (shown.out.split("steps:\n")[1] ?? "").split("\n\n")[0] ?? "";
    expect(steps.split("\n").map((line) => line.trim().split(/\s+/)[0])).toEqual([
      "verify-customer",
      "create-order",
      "reserve-credit",
      "approve-order",
    ]);

    const unknown = await h.ops("sagas", "show", randomUUID());
    expect(unknown.code).toBe(1);
  });

  it("shows a saga's pending timers and outbox rows, in text and --json", async () => {
    // An outbox row the broker refused twice and the relay retries in an hour: written as the
    // relay leaves one, so it stays in the table while the test reads it.
    const knex = h.system.databases.orchestrator.knex;
    const body = JSON.stringify({ name: "ReserveCredit", step: "reserve-credit", sagaId: stalled });
    const [inserted] = (await knex("saga_outbox")
      .insert({
        saga_id: stalled,
        kind: "sqs",
        destination: h.accountQueue,
        message: JSON.stringify({ transport: "sqs", body }),
        attempts: 2,
        last_error: "ServiceUnavailable: broker down",
        available_at: new Date(Date.now() + 3_600_000),
        created_at: new Date(),
      })
      .returning("id")) as { id: string | number }[];
    const rowId = String(inserted?.id);
    try {
      const saga = await h.opsJson<{
        id: string;
        timers: { type: string; step: string | null; attempt: number | null }[];
        outbox: Record<string, unknown>[];
      }>("sagas", "show", stalled);
      expect(saga.id).toBe(stalled);
      // The patient definitions give each command step a 10 minute timeout.
      expect(saga.timers).toContainEqual(
        expect.objectContaining({
          type: "step-timeout",
          step: "reserve-credit",
          attempt: 1,
          compensation: false,
        }),
      );
      expect(saga.outbox.find((row) => row.id === rowId)).toEqual({
        id: rowId,
        kind: "sqs",
        destination: h.accountQueue,
        what: "ReserveCredit",
        step: "reserve-credit",
        attempts: 2,
        lastError: "ServiceUnavailable: broker down",
        availableAt: expect.any(String),
        createdAt: expect.any(String),
        message: { transport: "sqs", body },
      });

      const shown = await h.ops("sagas", "show", stalled);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(
        /timers:\n(?:.*\n)*?\s+\S+\s+step-timeout reserve-credit attempt 1\s+in \d+m/,
      );
      expect(shown.out).toContain(
        `sqs → ${h.accountQueue}  ReserveCredit (reserve-credit)  2 attempt(s), last error ServiceUnavailable: broker down, next try in `,
      );
      expect(shown.out.indexOf("outbox")).toBeLessThan(shown.out.indexOf("timeline:"));
    } finally {
      await knex("saga_outbox").where({ id: rowId }).delete();
    }
    // A finished saga has no timers left.
    const done = await h.opsJson<{ timers: unknown[] }>("sagas", "show", completed);
    expect(done.timers).toEqual([]);
  });

  it("refuses what the pivot rules refuse, with the API's reason, and exits 1", async () => {
    const compensate = await h.ops("sagas", "compensate", completed, "--reason", "customer asked");
    expect(compensate.code).toBe(1);
    expect(compensate.err).toMatch(/^compensate refused \(409 [A-Z_]+\): .+/);
    const resolve = await h.ops("sagas", "resolve", completed, "--reason", "done by hand");
    expect(resolve.code).toBe(1);
    expect(resolve.err).toMatch(/^resolve refused \(409 [A-Z_]+\)/);
    const missing = await h.ops("sagas", "retry", randomUUID(), "--reason", "try again");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/refused \(404 /);
    const noReason = await h.ops("sagas", "retry", stalled);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain("--reason");
  });

  it("refuses an action meant for another attempt than the saga waits on (SAGA_MOVED_ON)", async () => {
    const stale = await h.ops(
      "sagas",
      "retry",
      stalled,
      "--reason",
      "try again",
      "--step",
      "reserve-credit",
      "--attempt",
      "7",
    );
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(
      /^retry refused \(409 SAGA_MOVED_ON\): .*now waits on reserve-credit attempt 1/,
    );
  });

  it("compensates a stalled saga at its pivot only once told the pivot did not apply, audited, and its DLQ command turns stale", async () => {
    const unknown = await h.ops("sagas", "compensate", stalled, "--reason", "customer cancelled");
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("compensate: expecting reserve-credit attempt 1");
    expect(unknown.err).toMatch(/^compensate refused \(409 PIVOT_OUTCOME_UNKNOWN\)/);
    // Its ReserveCredit sits in the account DLQ: it did not apply, and a replay would be stale.
    const result = await h.ops(
      "sagas",
      "compensate",
      stalled,
      "--reason",
      "customer cancelled",
      "--pivot-not-applied",
    );
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    await h.waitForStatus(stalled, "compensated");
    const saga = await h.opsJson<{
      history: { event: string; actor: string | null; reason: string | null }[];
    }>("sagas", "show", stalled);
    expect(saga.history).toContainEqual(
      expect.objectContaining({
        event: "operator.compensate",
        actor: "ops-test",
        reason: "customer cancelled",
      }),
    );
    const inspected = await h.opsJson<{
      verdicts: Record<string, number>;
      groups: { sample: { explanation: string } }[];
    }>("dlq", "inspect", h.accountDlq);
    expect(inspected.verdicts).toMatchObject({ stale: 1, waiting: 0 });
    expect(inspected.groups[0]?.sample.explanation).toBe("saga already compensated");
  });
});

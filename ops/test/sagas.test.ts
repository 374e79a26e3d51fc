// ops sagas against real sagas: list, show, and the operator actions through the orchestrator
// API, including what the pivot rules refuse.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OpsHarness } from "./harness.ts";

describe.runIf(process.env.DATABASE_URL)("ops sagas (real Postgres)", () => {
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

    const unknown = await h.ops("sagas", "show", randomUUID());
    expect(unknown.code).toBe(1);
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

  it("compensates a stalled saga before its pivot, audited, and its DLQ command turns stale", async () => {
    const result = await h.ops("sagas", "compensate", stalled, "--reason", "customer cancelled");
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

// ops retention and `ops sagas show` of a pruned saga, against a whole system in this process
// (embedded Postgres, or DATABASE_URL when set): none of the commands it runs (retention,
// sagas show, dlq inspect, a dry-run dlq delete) needs the ops journal's database.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { envelopeMessage, sendToQueue } from "@sagaworks/messaging";
import { replyQueueName } from "@sagaworks/topology";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { creditReservedReply, OpsHarness } from "./harness.ts";

describe("ops retention", () => {
  let h: OpsHarness;
  beforeAll(async () => {
    h = await OpsHarness.start("ops retention", inject("brokerEndpoint"));
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  it("pauses and resumes pruning on every replica, and says so", async () => {
    const status = await h.opsJson<Record<string, unknown>>("retention", "status");
    expect(status).toMatchObject({
      paused: false,
      retentionMs: 90 * 24 * 3_600_000,
      archiveIndexRetentionMs: 400 * 24 * 3_600_000,
    });
    const paused = await h.ops("retention", "pause");
    expect(paused.code).toBe(0);
    expect(paused.out).toContain("pruning:          paused by ops-test");
    expect(await h.system.orchestrator.retention?.pruneOnce()).toMatchObject({ skipped: "paused" });
    const resumed = await h.opsJson<Record<string, unknown>>("retention", "resume");
    expect(resumed).toMatchObject({ paused: false, pausedBy: null });
    expect((await h.ops("retention", "shred")).code).toBe(2);
  });

  it("shows where a pruned saga's record went", async () => {
    const sagaId = await h.startOrder(await h.newCustomer(10_000), 1_000);
    await h.waitForStatus(sagaId, "completed");
    const knex = h.system.databases.orchestrator.knex;
    // The relay sends the saga's last events soon after it completes.
    for (let i = 0; i < 100; i++) {
      const [row] = await knex("saga_outbox").where({ saga_id: sagaId }).count({ n: "*" });
      if (Number(row?.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // It finished 100 days ago, as far as retention can tell: past the default 90 days. The
    // system's own pruner (archiving to a folder under the temp dir) takes it.
    await knex("saga_instances")
      .where({ id: sagaId })
      // Every writer of a saga's row bumps its revision; the test run's trigger holds this one to it.
      .update({
        updated_at: new Date(Date.now() - 100 * 24 * 3_600_000),
        revision: knex.raw("revision + 1"),
      });
    const run = await h.system.orchestrator.retention?.pruneOnce();
    if (!run) throw new Error("the system runs without retention");
    expect(run.sagas).toBe(1);
    const location = run.objects[0] as string;
    expect(
      (await readFile(location, "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line).sagaId),
    ).toContain(sagaId);

    const shown = await h.ops("sagas", "show", sagaId);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Saga ${sagaId} finished and was pruned`);
    expect(shown.out).toContain(location);
    const json = await h.opsJson<{ id: string; archived: { location: string } }>(
      "sagas",
      "show",
      sagaId,
    );
    expect(json).toMatchObject({ id: sagaId, archived: { location } });

    // A late reply of that saga, dead-lettered: inspect says it finished and was pruned, and
    // delete takes it by default; a reply of a saga never seen stays an unknown saga.
    const reply = (id: string) => envelopeMessage(creditReservedReply(id, 1_000));
    const repliesDlq = `${replyQueueName(h.prefix)}-dlq`;
    await sendToQueue(h.system.clients.sqs, await h.queueUrl(repliesDlq), [
      reply(sagaId),
      reply(randomUUID()),
    ]);
    const inspected = await h.opsJson<{
      verdicts: Record<string, number>;
      groups: { verdict: string; sample: { explanation: string } }[];
    }>("dlq", "inspect", repliesDlq);
    expect(inspected.verdicts).toMatchObject({ archived: 1, "unknown-saga": 1 });
    const archived = inspected.groups.find((g) => g.verdict === "archived");
    expect(archived?.sample.explanation).toContain("finished and was pruned on");
    expect(archived?.sample.explanation).toContain(`archived in ${location}`);
    const dryRun = await h.ops("dlq", "delete", repliesDlq);
    expect(dryRun.code).toBe(0);
    expect(dryRun.out).toMatch(/delete .*archived/);
  });
});

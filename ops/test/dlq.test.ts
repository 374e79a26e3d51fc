// ops dlq against a whole back end: the account participant breaks, sagas stall, their commands
// reach the DLQ with the reason; inspect joins each to its saga, a dry run changes nothing, and
// replay --execute finishes the waiting sagas exactly once. Real Postgres keeps the journal (CI
// sets DATABASE_URL, as for the other multi-process suites).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { peekMessages } from "@sagaworks/dead-letters";
import { createCommandEnvelope, envelopeMessage, sendToQueue } from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/messaging/testing";
import { createDatabase } from "@sagaworks/platform";
import { reserveCreditCommand } from "@sagaworks/system/testing";
import { replyQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ReplayJournal } from "../src/dlq/journal.ts";
import { REPLAY_ATTRIBUTE } from "../src/dlq/replay-options.ts";
import { creditReservedReply, OpsHarness } from "./harness.ts";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

const harnesses: OpsHarness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.stop();
});

async function start(name: string): Promise<OpsHarness> {
  const harness = await OpsHarness.start(name, inject("brokerEndpoint"));
  harnesses.push(harness);
  return harness;
}

interface InspectJson {
  count: number;
  verdicts: Record<string, number>;
  groups: {
    verdict: string;
    count: number;
    sample: { reason: string | null; explanation: string };
  }[];
}

describe.runIf(process.env.DATABASE_URL)("ops dlq (real Postgres)", () => {
  it("lists, inspects and replays a mixed DLQ: waiting sagas finish once, the rest stays", {
    timeout: 300_000,
  }, async () => {
    const h = await start("ops dlq mixed");
    const { sagaIds, customers } = await h.stallOrders(3);
    for (const id of sagaIds) {
      expect((await h.saga(id)).snapshot).toMatchObject({
        status: "running",
        pending: { "reserve-credit": { step: "reserve-credit" } },
      });
    }
    // The rest of the mix: a saga that already finished (unknown customer: failed at its first
    // step), a command for it, one for a saga nobody knows, and a body that is not an envelope.
    const finished = await h.startOrder("cust-nobody", 500);
    await h.waitForStatus(finished, "failed");
    const command = (sagaId: string) =>
      createCommandEnvelope(
        reserveCreditCommand(sagaId, h.prefix, {
          customerId: "cust-nobody",
          orderId: sagaId,
          amountCents: 500,
        }),
      );
    const dlqUrl = await h.queueUrl(h.accountDlq);
    // And a command sent 22 days ago (captured, sent again): the participant would refuse it as
    // too old to be genuine, so it is poison, never replayed, even with --include-stale.
    const captured = {
      ...command(finished),
      sentAt: new Date(Date.now() - 22 * 24 * 60 * 60 * 1000).toISOString(),
    };
    await sendToQueue(h.system.clients.sqs, dlqUrl, [
      envelopeMessage(command(finished)),
      envelopeMessage(command(randomUUID())),
      { body: "{ this is not an envelope" },
      envelopeMessage(captured),
    ]);
    expect(await h.depth(h.accountDlq)).toBe(7);
    // A late reply for the finished saga, dead-lettered on the orchestrator's reply queue.
    const reply = creditReservedReply(finished, 500);
    const repliesDlq = `${replyQueueName(h.prefix)}-dlq`;
    await sendToQueue(h.system.clients.sqs, await h.queueUrl(repliesDlq), [envelopeMessage(reply)]);
    const replies = await h.opsJson<InspectJson>("dlq", "inspect", repliesDlq);
    expect(replies.verdicts).toMatchObject({ stale: 1, waiting: 0 });
    expect(replies.groups[0]?.sample.explanation).toBe("saga already failed");
    expect(await h.depth(repliesDlq)).toBe(1);

    const list = await h.ops("dlq", "list", "--json");
    expect(list.code).toBe(1); // a DLQ holds messages: a finding
    const queues = JSON.parse(list.out) as {
      name: string;
      depth: number;
      sourceQueue: string;
      redrivePolicy: { maxReceiveCount: number };
    }[];
    expect(queues.find((q) => q.name === h.accountDlq)).toMatchObject({
      depth: 7,
      sourceQueue: h.accountQueue,
      redrivePolicy: { maxReceiveCount: 5 },
    });
    expect(queues.map((q) => q.name).sort()).toEqual(
      [
        `${h.prefix}-account-commands-dlq`,
        `${h.prefix}-orchestrator-outside-events-dlq`,
        `${h.prefix}-order-commands-dlq`,
        `${h.prefix}-saga-replies-dlq`,
        `${h.prefix}-sagas-commands-dlq`,
      ].sort(),
    );

    const inspected = await h.opsJson<InspectJson>("dlq", "inspect", h.accountDlq);
    expect(inspected.count).toBe(7);
    expect(inspected.verdicts).toMatchObject({
      waiting: 3,
      stale: 1,
      "unknown-saga": 1,
      poison: 2,
    });
    const waiting = inspected.groups.find((g) => g.verdict === "waiting");
    expect(waiting).toMatchObject({
      count: 3,
      sample: { reason: "handler threw: account database unreachable" },
    });
    expect(inspected.groups.find((g) => g.verdict === "stale")?.sample.explanation).toBe(
      "saga already failed",
    );
    expect(await h.depth(h.accountDlq)).toBe(7);

    const text = await h.ops("dlq", "inspect", h.accountDlq);
    expect(text.code).toBe(0);
    expect(text.out).toContain("3 waiting, 1 stale, 1 unknown-saga, 2 poison");

    const dry = await h.ops("dlq", "replay", h.accountDlq);
    expect(dry.code).toBe(0);
    expect(dry.out.match(/^send → /gm)).toHaveLength(3);
    expect(dry.out).toContain("dry run: 3 would be sent");
    expect(dry.out).toMatch(
      /poison: ReserveCredit refused: it was signed 22 days ago .*longer than any redelivery or replay allows \(19 days\)/,
    );
    expect(await h.depth(h.accountDlq)).toBe(7);

    await h.repairAccount();
    const run = await h.ops("dlq", "replay", h.accountDlq, "--execute", "--settle", "30s");
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/replayed 3 message\(s\) to .*account-commands; 4 left/);
    for (const id of sagaIds) await h.waitForStatus(id, "completed");
    expect(await h.depth(h.accountDlq)).toBe(4);

    // Each order reserved its credit exactly once: no money moved twice.
    const accounts = await h.system.databases.account
      .knex("accounts")
      .whereIn("customer_id", customers);
    for (const account of accounts) {
      expect(
        Number(account.available_cents) +
          Number(account.reserved_cents) +
          Number(account.spent_cents),
      ).toBe(10_000);
      expect(Number(account.available_cents)).toBe(9_000);
    }
    const reservations = await h.system.databases.account
      .knex("reservations")
      .whereIn("order_id", sagaIds);
    expect(reservations).toHaveLength(3);

    // A second replay finds nothing left worth sending.
    const again = await h.ops("dlq", "replay", h.accountDlq, "--execute", "--settle", "2s");
    expect(again.out).toContain("replayed 0 message(s)");
    expect(await h.depth(h.accountDlq)).toBe(4);

    const history = await h.opsJson<
      { id: string; actor: string; status: string; outcome: string }[]
    >("dlq", "history");
    expect(history).toHaveLength(2);
    expect(history.every((r) => r.actor === "ops-test" && r.status === "finished")).toBe(true);
    const first = history[1];
    const detail = await h.opsJson<{ entries: { state: string; verdict: string }[] }>(
      "dlq",
      "history",
      first?.id ?? "",
    );
    expect(detail.entries.filter((e) => e.state === "deleted")).toHaveLength(3);
    expect(
      detail.entries
        .filter((e) => e.state === "skipped")
        .map((e) => e.verdict)
        .sort(),
    ).toEqual(["poison", "poison", "stale", "unknown-saga"]);
    // Untouched by all this: the poison body is still there, byte for byte.
    const exported = await h.ops("dlq", "inspect", h.accountDlq, "--json");
    expect(JSON.parse(exported.out).verdicts).toMatchObject({
      stale: 1,
      "unknown-saga": 1,
      poison: 2,
    });

    // What no replay will use is deleted, dry run first: stale and poison by default.
    const dryDelete = await h.ops("dlq", "delete", h.accountDlq);
    expect(dryDelete.code).toBe(0);
    expect(dryDelete.out.match(/^delete /gm)).toHaveLength(3);
    expect(dryDelete.out).toMatch(/^keep .*unknown-saga is not among --verdict/m);
    expect(dryDelete.out).toContain("dry run: 3 would be deleted");
    expect(await h.depth(h.accountDlq)).toBe(4);
    const deletion = await h.opsJson<{ runId: string; deleted: number; kept: number }>(
      "dlq",
      "delete",
      h.accountDlq,
      "--execute",
    );
    expect(deletion).toMatchObject({ deleted: 3, kept: 1 });
    expect(await h.depth(h.accountDlq)).toBe(1);
    // Journaled like a replay: who, and each deleted message with its body.
    const deletedRun = await h.opsJson<{
      run: { actor: string; mode: string; status: string };
      entries: { state: string; verdict: string }[];
    }>("dlq", "history", deletion.runId);
    expect(deletedRun.run).toMatchObject({ actor: "ops-test", mode: "delete", status: "finished" });
    expect(
      deletedRun.entries
        .filter((e) => e.state === "deleted")
        .map((e) => e.verdict)
        .sort(),
    ).toEqual(["poison", "poison", "stale"]);
    const journal = await ReplayJournal.open({
      databaseUrl: process.env.DATABASE_URL,
      schema: h.journalSchema,
    });
    try {
      const bodies = [...(await journal.entries(deletion.runId)).values()].map((e) => e.body);
      expect(bodies).toContain("{ this is not an envelope");
    } finally {
      await journal.close();
    }
    // The rest, named: then every DLQ is empty and `list` finds nothing to report.
    await h.ops("dlq", "delete", h.accountDlq, "--verdict", "unknown-saga", "--execute");
    await h.ops("dlq", "delete", repliesDlq, "--execute");
    expect(await h.depth(h.accountDlq)).toBe(0);
    expect(await h.depth(repliesDlq)).toBe(0);
    const listed = await h.ops("dlq", "list");
    expect(listed.code, `${listed.out}${listed.err}`).toBe(0);
  });

  it("trips the breaker when the participant is still broken, and leaves the rest in the DLQ", {
    timeout: 300_000,
  }, async () => {
    const h = await start("ops dlq breaker");
    const { sagaIds } = await h.stallOrders(5);
    await h.breakAccount();
    const result = await h.ops(
      "dlq",
      "replay",
      h.accountDlq,
      "--execute",
      "--settle",
      "10s",
      "--max-returned",
      "2",
      "--json",
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as {
      tripped: boolean;
      sent: number;
      returned: number;
      outcome: string;
    };
    expect(report.tripped).toBe(true);
    expect(report.returned).toBeGreaterThanOrEqual(2);
    expect(report.sent).toBeLessThan(5);
    expect(report.outcome).toContain("circuit breaker tripped");
    // Nothing lost: what was replayed came back, what was not never left.
    await waitFor(async () => (await h.depth(h.accountDlq)) === 5, {
      timeoutMs: 60_000,
      description: "every message back in the DLQ",
    });
    for (const id of sagaIds) expect((await h.saga(id)).snapshot.status).toBe("running");
    const history = await h.opsJson<{ status: string }[]>("dlq", "history");
    expect(history.map((r) => r.status)).toEqual(["tripped"]);
  });

  it("resumes a replay killed with SIGKILL: every message once, in the source queue or the DLQ", {
    timeout: 300_000,
  }, async () => {
    const h = await start("ops dlq sigkill");
    const { sagaIds } = await h.stallOrders(6);
    const exportFile = join(mkdtempSync(join(tmpdir(), "ops-")), "dlq.jsonl");
    expect((await h.ops("dlq", "inspect", h.accountDlq, "--export", exportFile)).code).toBe(0);
    const originals = readFileSync(exportFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(JSON.parse(line).body) as { messageId: string }).messageId)
      .sort();
    expect(originals).toHaveLength(6);

    // Nothing consumes the source queue: every copy sent stays there to be counted.
    const child = spawn(
      process.execPath,
      [cli, "dlq", "replay", h.accountDlq, "--execute", "--rate", "1", "--settle", "1s"],
      { env: { ...process.env, ...h.env() }, stdio: "ignore" },
    );
    const journal = await createDatabase({
      databaseUrl: process.env.DATABASE_URL,
      schema: h.journalSchema,
      pool: { min: 0, max: 1 },
    });
    try {
      await waitFor(
        async () => {
          const rows = (await journal.knex
            .raw("select count(*)::int as n from replay_entries where state = 'deleted'")
            .catch(() => ({ rows: [{ n: 0 }] }))) as { rows: { n: number }[] };
          return (rows.rows[0]?.n ?? 0) >= 2;
        },
        { timeoutMs: 120_000, description: "the replay to be part-way" },
      );
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      const [run] = (await journal.knex("replay_runs").select("status")) as { status: string }[];
      expect(run?.status).toBe("running");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await journal.close();
    }

    const resumed = await h.ops(
      "dlq",
      "replay",
      h.accountDlq,
      "--execute",
      "--settle",
      "1s",
      "--rate",
      "20",
    );
    expect(resumed.err).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain("resuming run");

    const sqs = h.system.clients.sqs;
    const idsIn = async (queue: string) =>
      (await peekMessages(sqs, await h.queueUrl(queue), { visibilityTimeoutSeconds: 30 })).map(
        (m) => (JSON.parse(m.body) as { messageId: string }).messageId,
      );
    const inSource = await idsIn(h.accountQueue);
    const inDlq = await idsIn(h.accountDlq);
    expect([...inSource, ...inDlq].sort()).toEqual(originals);
    expect(inSource).toHaveLength(6);

    // And the sagas finish once the participant is back.
    await h.repairAccount();
    for (const id of sagaIds) await h.waitForStatus(id, "completed");
    expect(
      await h.system.databases.account.knex("reservations").whereIn("order_id", sagaIds),
    ).toHaveLength(6);
  });

  it("resumes a run that crashed between a send and its journal entry without sending twice", {
    timeout: 300_000,
  }, async () => {
    const h = await start("ops dlq crash window");
    await h.stallOrders(2);
    const sqs = h.system.clients.sqs;
    const dlqUrl = await h.queueUrl(h.accountDlq);
    const sourceUrl = await h.queueUrl(h.accountQueue);
    const [sentBeforeCrash, neverSent] = await peekMessages(sqs, dlqUrl);
    if (!sentBeforeCrash || !neverSent) throw new Error("expected two messages in the DLQ");
    // The state a SIGKILL leaves in that window: both journaled as `sending`; one copy was
    // accepted by the source queue, the other never left.
    const journal = await ReplayJournal.open({
      databaseUrl: process.env.DATABASE_URL,
      schema: h.journalSchema,
    });
    try {
      const run = await journal.startRun({
        dlq: h.accountDlq,
        sourceQueue: h.accountQueue,
        actor: "ops-test",
        mode: "saga-aware",
        options: {},
      });
      for (const message of [sentBeforeCrash, neverSent]) {
        const envelope = JSON.parse(message.body) as {
          messageId: string;
          sagaId: string;
          name: string;
        };
        await journal.record(run.id, {
          dlqMessageId: message.sqsMessageId,
          envelopeMessageId: envelope.messageId,
          sagaId: envelope.sagaId,
          name: envelope.name,
          state: "sending",
          verdict: "waiting",
          explanation: null,
          body: message.body,
          attributes: message.attributes,
        });
      }
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: sourceUrl,
          MessageBody: sentBeforeCrash.body,
          MessageAttributes: {
            [REPLAY_ATTRIBUTE]: {
              DataType: "String",
              StringValue: `${run.id}/${sentBeforeCrash.sqsMessageId}`,
            },
          },
        }),
      );
    } finally {
      await journal.close();
    }

    // While another replay holds the DLQ, a second one refuses to start.
    const other = await ReplayJournal.open({
      databaseUrl: process.env.DATABASE_URL,
      schema: h.journalSchema,
    });
    const release = await other.lockDlq(h.accountDlq);
    try {
      expect(release).toBeTypeOf("function");
      const blocked = await h.ops("dlq", "replay", h.accountDlq, "--execute");
      expect(blocked.code).toBe(1);
      expect(blocked.err).toContain(`Another replay or deletion of ${h.accountDlq} is running`);
    } finally {
      await release?.();
      await other.close();
    }

    const resumed = await h.ops("dlq", "replay", h.accountDlq, "--execute", "--settle", "1s");
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain("resumed: found its copy in the source queue");
    expect(resumed.out).toContain(
      "resumed: sent again: the crash came before the send was confirmed",
    );
    const inSource = (await peekMessages(sqs, sourceUrl)).map((m) => m.body).sort();
    expect(inSource).toEqual([sentBeforeCrash.body, neverSent.body].sort());
    expect(await h.depth(h.accountDlq)).toBe(0);
  });

  it("keeps one replayed message per saga in flight: a second copy waits, is judged again, and stays", {
    timeout: 300_000,
  }, async () => {
    const h = await start("ops dlq one per saga");
    const { sagaIds, customers } = await h.stallOrders(1);
    const sqs = h.system.clients.sqs;
    const dlqUrl = await h.queueUrl(h.accountDlq);
    // A second copy of the same command (as a producer's retry or a failed delete leaves).
    const [original] = await peekMessages(sqs, dlqUrl);
    await sendToQueue(sqs, dlqUrl, [{ body: original?.body ?? "" }]);
    expect(await h.depth(h.accountDlq)).toBe(2);

    const dry = await h.ops("dlq", "replay", h.accountDlq);
    expect(dry.out.match(/^send → /gm)).toHaveLength(1);
    expect(dry.out).toMatch(/^later .*another message of this saga goes first/m);

    await h.repairAccount();
    const run = await h.ops(
      "dlq",
      "replay",
      h.accountDlq,
      "--execute",
      "--ramp-start",
      "2",
      "--settle",
      "3s",
      "--json",
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as {
      sent: number;
      lines: { action: string; why: string }[];
    };
    expect(report.sent).toBe(1);
    expect(report.lines.filter((l) => l.action === "send")).toHaveLength(1);
    expect(report.lines.filter((l) => l.action === "skip")).toHaveLength(1);
    await h.waitForStatus(sagaIds[0] ?? "", "completed");
    expect(await h.depth(h.accountDlq)).toBe(1);
    const reservations = await h.system.databases.account
      .knex("reservations")
      .whereIn("customer_id", customers);
    expect(reservations).toHaveLength(1);
  });
});

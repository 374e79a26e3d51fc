// A participant process killed in the middle of a handler: SQS delivers the command again, and
// the restarted service applies it exactly once. ReserveCredit is one autocommit statement, so
// the kill leaves all of it (the statement was already with Postgres, which finishes it once the
// lock is free and only then finds the client gone) or none of it, never a part. The service
// runs as its own process on a shared database, so this needs real Postgres (CI sets
// DATABASE_URL); without it the test is reported as skipped.
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { envelopeMessage, sendToQueue } from "@sagaworks/messaging";
import { commandEnvelope, ReplyCollector, waitFor } from "@sagaworks/participant-sdk/testing";
import { createAwsClients } from "@sagaworks/platform";
import { createTestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import { DEV_WRITE_TOKEN } from "@sagaworks/service-kit";
import { startServiceProcess } from "@sagaworks/service-kit/testing";
import {
  applyTopology,
  commandQueueName,
  deriveTopology,
  replyQueueName,
} from "@sagaworks/topology";
import { describe, expect, inject, it } from "vitest";

const accountMain = fileURLToPath(
  new URL("../../../services/account/src/main.ts", import.meta.url),
);

async function startAccountProcess(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; address: string }> {
  const started = startServiceProcess(accountMain, env);
  return { child: started.child, address: await started.ready("account", 60_000) };
}

describe.runIf(process.env.DATABASE_URL)("a participant killed mid-handler (real Postgres)", () => {
  it("redelivers the command and applies it once after a restart", {
    timeout: 180_000,
  }, async () => {
    const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
    const prefix = uniqueTestName("participant crash", 24);
    const applied = await applyTopology(
      clients,
      deriveTopology({ prefix, participants: ["account"] }),
    );
    const db = await createTestDatabase("participant crash", process.env);
    const env = {
      PORT: "0",
      DATABASE_URL: process.env.DATABASE_URL ?? "",
      ACCOUNT_DB_SCHEMA: db.schema,
      AWS_ENDPOINT_URL: inject("brokerEndpoint"),
      SAGAWORKS_ENV_PREFIX: prefix,
    };
    const replies = new ReplyCollector(
      clients.sqs,
      applied.queueUrls[replyQueueName(prefix)] ?? "",
    );
    let second: ChildProcess | undefined;
    try {
      const first = await startAccountProcess(env);
      const opened = await fetch(`${first.address}/accounts`, {
        method: "POST",
        // The process runs on the development default, so its write token is the dev one.
        headers: { "content-type": "application/json", authorization: `Bearer ${DEV_WRITE_TOKEN}` },
        body: JSON.stringify({ customerId: "cust-crash", creditLimitCents: 10_000 }),
      });
      expect(opened.status).toBe(201);

      // Hold the account's row lock, so the handler stops inside its transaction.
      const lock = await db.knex.transaction();
      await lock("accounts").where({ customer_id: "cust-crash" }).forUpdate().first();
      const command = commandEnvelope({
        name: "ReserveCredit",
        payload: { customerId: "cust-crash", orderId: "order-crash", amountCents: 2_500 },
        replyTo: replyQueueName(prefix),
        step: "reserve-credit",
      });
      await sendToQueue(clients.sqs, applied.queueUrls[commandQueueName(prefix, "account")] ?? "", [
        envelopeMessage(command),
      ]);
      await waitFor(
        async () => {
          const rows = (await db.knex.raw(
            "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%accounts%'",
          )) as { rows: { n: number }[] };
          return (rows.rows[0]?.n ?? 0) > 0;
        },
        { timeoutMs: 30_000, description: "the handler to wait on the account's lock" },
      );
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("exit", resolve));
      await lock.rollback();

      // All of the killed attempt or nothing of it: a reservation exists exactly when its inbox
      // row (with the stored reply) does.
      // Both counts come from one snapshot: the statement may commit between two reads.
      const [counts] = (await db.knex
        .select({
          reservations: db.knex("reservations").count("*").where({ order_id: "order-crash" }),
          inbox: db.knex("participant_inbox").count("*").where({ saga_id: command.sagaId }),
        })
        .from(db.knex.raw("(select 1) as one"))) as { reservations: string; inbox: string }[];
      expect(Number(counts?.reservations)).toBeLessThanOrEqual(1);
      expect(Number(counts?.inbox) > 0).toBe(Number(counts?.reservations) === 1);

      const restarted = await startAccountProcess(env);
      second = restarted.child;
      // SQS redelivers once the killed consumer's visibility timeout (3 s) runs out.
      const reply = await replies.replyTo(command, { timeoutMs: 120_000 });
      expect(reply).toMatchObject({ name: "CreditReserved", payload: { amountCents: 2_500 } });
      const account = (await (await fetch(`${restarted.address}/accounts/cust-crash`)).json()) as {
        availableCents: number;
        reservedCents: number;
        reservations: unknown[];
      };
      expect(account).toMatchObject({ availableCents: 7_500, reservedCents: 2_500 });
      expect(account.reservations).toHaveLength(1);
      // A stored reply may go out twice (the relay's poll after the restart, and the answer to
      // the redelivered command), but as one message: the orchestrator's inbox drops the copy.
      // The copy sent for the redelivery is stamped (and so signed) when it is sent; everything
      // else is the stored reply. Whether it has arrived yet when this reads is timing.
      const sent = replies.forSaga(command.sagaId);
      expect(new Set(sent.map((r) => r.messageId)).size).toBe(1);
      const unstamped = ({ sentAt: _sentAt, signature: _signature, ...rest }: typeof reply) => rest;
      for (const copy of sent) expect(unstamped(copy)).toEqual(unstamped(reply));
    } finally {
      if (second && second.exitCode === null) {
        second.kill("SIGTERM");
        await new Promise((resolve) => second?.once("exit", resolve));
      }
      await replies.stop();
      await db.drop();
      clients.destroy();
    }
  });
});

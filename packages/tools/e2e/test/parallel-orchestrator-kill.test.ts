// A parallel group survives its orchestrator being SIGKILLed between the fork and the first
// reply: the fork's transition wrote both branches' commands with the snapshot, so a new
// orchestrator process on the same database carries on, and both shares are held exactly once.
// Every process is the real `main` as operators run it; the account service is down while the
// orchestrator dies, so no reply can come first. Several processes share one database, so this
// needs real Postgres (CI sets DATABASE_URL); without it the suite is reported as skipped.
import { waitFor } from "@sagaworks/messaging/testing";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { DEV_WRITE_TOKEN } from "@sagaworks/service-kit";
import type { ServiceProcess } from "@sagaworks/service-kit/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { type Account, deployableRunners } from "./e2e.fixtures.ts";

const runners = deployableRunners();
type App = keyof typeof runners;
const API_TOKEN = "kill-test-api-token-0123456789";
const auth = { authorization: `Bearer ${API_TOKEN}` };
afterEach(async () => {
  for (const runner of Object.values(runners)) await runner.cleanup();
});

describe.runIf(process.env.DATABASE_URL)(
  "an orchestrator killed inside a parallel group (real Postgres)",
  () => {
    it("SIGKILL between the fork and the first reply: a new process finishes the saga, each share held once", {
      timeout: 240_000,
    }, async () => {
      const prefix = uniqueTestName("parallel kill", 24);
      const common = {
        DATABASE_URL: process.env.DATABASE_URL ?? "",
        AWS_ENDPOINT_URL: inject("brokerEndpoint"),
        SAGAWORKS_ENV_PREFIX: prefix,
        LOG_LEVEL: "info",
      };
      const schemas: Record<App, string> = {
        customer: await runners.customer.schema("parallel kill customer"),
        orchestrator: await runners.orchestrator.schema("parallel kill orchestrator"),
        order: await runners.order.schema("parallel kill order"),
        account: await runners.account.schema("parallel kill account"),
      };
      const start = async (
        app: App,
        own: Record<string, string>,
      ): Promise<{ process: ServiceProcess; address: string }> => {
        const process = runners[app].run({ ...common, ...own });
        return { process, address: await process.ready(app, 90_000) };
      };
      const customer = await start("customer", { PORT: "0", CUSTOMER_DB_SCHEMA: schemas.customer });
      const orchestratorEnv = {
        ORCHESTRATOR_PORT: "0",
        ORCHESTRATOR_DB_SCHEMA: schemas.orchestrator,
        ORCHESTRATOR_API_TOKEN: API_TOKEN,
        SERVICE_URLS: `customer=${customer.address}`,
      };
      const first = await start("orchestrator", orchestratorEnv);
      const order = await start("order", { PORT: "0", ORDER_DB_SCHEMA: schemas.order });
      const accountEnv = { PORT: "0", ACCOUNT_DB_SCHEMA: schemas.account };
      let account = await start("account", accountEnv);
      const payer = `cust-${crypto.randomUUID().slice(0, 8)}`;
      const coPayer = `cust-${crypto.randomUUID().slice(0, 8)}`;
      for (const id of [payer, coPayer]) {
        const opened = await fetch(`${account.address}/accounts`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${DEV_WRITE_TOKEN}`,
          },
          body: JSON.stringify({ customerId: id, creditLimitCents: 10_000 }),
        });
        expect(opened.status).toBe(201);
      }
      // The account service goes away: the shares' commands wait in its queue, unanswered.
      account.process.child.kill("SIGTERM");
      await new Promise((resolve) => account.process.child.once("exit", resolve));

      const shareId = `share-${crypto.randomUUID()}`;
      const started = await fetch(`${first.address}/sagas/split-order`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({
          input: {
            customerId: payer,
            coPayerId: coPayer,
            coPayerReservationId: shareId,
            items: [{ sku: "sku-kill", quantity: 1, unitPriceCents: 5_000 }],
            totalCents: 5_000,
            payerCents: 3_000,
            coPayerCents: 2_000,
          },
        }),
      });
      expect(started.status, await started.clone().text()).toBe(201);
      const { sagaId } = (await started.json()) as { sagaId: string };
      const read = async (address: string) =>
        (await (await fetch(`${address}/sagas/${sagaId}`, { headers: auth })).json()) as {
          snapshot: { status: string; state: string; pending: Record<string, unknown> };
        };
      await waitFor(
        async () => {
          const saga = await read(first.address);
          return saga.snapshot.state === "fork:reserve-shares" &&
            Object.keys(saga.snapshot.pending).length === 2
            ? true
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, description: "the fork of reserve-shares" },
      );
      first.process.child.kill("SIGKILL");
      await new Promise((resolve) => first.process.child.once("exit", resolve));

      const second = await start("orchestrator", orchestratorEnv);
      account = await start("account", accountEnv);
      const status = await waitFor(
        async () => {
          const saga = await read(second.address);
          return ["completed", "compensated", "failed", "needs-intervention"].includes(
            saga.snapshot.status,
          )
            ? saga.snapshot.status
            : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 200, description: "the saga's end" },
      );
      expect(status).toBe("completed");
      const approved = (await (await fetch(`${order.address}/orders/${sagaId}`)).json()) as {
        status: string;
      };
      expect(approved.status).toBe("APPROVED");
      const holds = async (id: string) => {
        const now = (await (await fetch(`${account.address}/accounts/${id}`)).json()) as Account;
        expect(now.availableCents + now.reservedCents).toBe(now.creditLimitCents);
        return now.reservations.map((r) => [r.orderId, r.amountCents, r.status]);
      };
      expect(await holds(payer)).toEqual([[sagaId, 3_000, "RESERVED"]]);
      expect(await holds(coPayer)).toEqual([[shareId, 2_000, "RESERVED"]]);
    });
  },
);

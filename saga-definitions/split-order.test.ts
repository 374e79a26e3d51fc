// The author's tests of split-order, written with the test kit: the real engine runs the compiled
// definition and each participant's answer is scripted. They pin the parallel group's semantics:
// both shares are asked for in one transition; when one fails the other is undone whether it was
// reserved or still under way; a late or duplicate reply changes nothing; an exhausted
// compensation in one branch lets the other finish before an operator is needed.
import { fileURLToPath } from "node:url";
import { serviceContracts } from "@sagaworks/contracts";
import { checkDefinitionFile } from "@sagaworks/saga-definition/files";
import { assertCleanExploration, exploreSaga, sagaTest } from "@sagaworks/saga-engine/testing";
import { describe, expect, it } from "vitest";

const result = await checkDefinitionFile(
  fileURLToPath(new URL("./split-order.saga.json", import.meta.url)),
  { contracts: serviceContracts, displayName: "split-order.saga.json" },
);
if (!result.saga) throw new Error(JSON.stringify(result.problems));
const splitOrder = result.saga;

const input = {
  customerId: "cust-1",
  coPayerId: "cust-2",
  coPayerReservationId: "share-1",
  items: [{ sku: "sku-1", quantity: 2, unitPriceCents: 750 }],
  totalCents: 1500,
  payerCents: 1000,
  coPayerCents: 500,
};
const PAYER = "reserve-payer-share";
const CO_PAYER = "reserve-co-payer-share";

/** A saga whose order was created: both shares are now in flight. */
function forked() {
  const saga = sagaTest(splitOrder).start(input);
  const fork = saga.reply("create-order", "OrderCreated", {
    orderId: saga.sagaId,
    customerId: "cust-1",
    status: "PENDING",
    totalCents: 1500,
  });
  return { saga, fork };
}

describe("split-order", () => {
  it("sends both shares in the one transition that follows the order's creation", () => {
    const { saga, fork } = forked();
    const sent = fork.effects.flatMap((e) => (e.type === "send-command" ? [e] : []));
    expect(sent.map((e) => [e.step, e.command, e.payload])).toEqual([
      [PAYER, "ReserveCredit", { customerId: "cust-1", orderId: saga.sagaId, amountCents: 1000 }],
      [CO_PAYER, "ReserveCredit", { customerId: "cust-2", orderId: "share-1", amountCents: 500 }],
    ]);
    expect(saga.snapshot?.state).toBe("fork:reserve-shares");
    expect(Object.keys(saga.snapshot?.pending ?? {}).sort()).toEqual([CO_PAYER, PAYER]);
  });

  it("approves the order once both shares are held, in either order", () => {
    for (const order of [
      [PAYER, CO_PAYER],
      [CO_PAYER, PAYER],
    ]) {
      const { saga } = forked();
      saga.reply(order[0] as string, "CreditReserved", {});
      expect(saga.waitingOnAll().map((w) => w.step)).toEqual([order[1]]);
      expect(saga.commands().some((c) => c.command === "ApproveOrder")).toBe(false);
      saga.reply(order[1] as string, "CreditReserved", {});
      saga.reply("approve-order", "OrderApproved", { orderId: saga.sagaId });
      expect(saga.status).toBe("completed");
    }
  });

  it("one share refused while the other is in flight: the other is released at once, then the order rejected", () => {
    const { saga } = forked();
    const refused = saga.reply(PAYER, "CreditLimitExceeded", { message: "limit 900" });
    // The co-payer's reservation may still apply: its release goes out in the same transition.
    expect(
      refused.effects.flatMap((e) => (e.type === "send-command" ? [[e.step, e.command]] : [])),
    ).toEqual([[CO_PAYER, "ReleaseCredit"]]);
    expect(saga.snapshot?.steps[CO_PAYER]?.lastError?.code).toBe("BRANCH_STOPPED");
    expect(refused.note).toContain(`${CO_PAYER} stopped at attempt 1 (branch "payer" failed)`);
    // Its reservation arriving now is late: ignored.
    expect(saga.reply(CO_PAYER, "CreditReserved", {}, { attempt: 1 }).applied).toBe(false);
    saga.reply(CO_PAYER, "CreditReleased", {}, { compensation: true });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
    expect(saga.compensations()).toEqual([CO_PAYER, "create-order"]);
    expect(saga.snapshot?.failure).toMatchObject({ step: PAYER, kind: "business-failure" });
  });

  it("one share reserved, the other refused: the reserved one is released", () => {
    const { saga } = forked();
    saga.reply(CO_PAYER, "CreditReserved", {});
    saga.reply(PAYER, "CreditLimitExceeded", { message: "limit 900" });
    expect(saga.compensations()).toEqual([CO_PAYER]);
    saga.reply(CO_PAYER, "CreditReleased", {}, { compensation: true });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("both refused at once: the second refusal is late, the second share is released anyway (it answers that there was none)", () => {
    const { saga } = forked();
    saga.reply(PAYER, "CreditLimitExceeded", { message: "limit 900" });
    expect(saga.reply(CO_PAYER, "CreditLimitExceeded", {}, { attempt: 1 }).applied).toBe(false);
    saga.reply(CO_PAYER, "CreditReservationNotFound", {}, { compensation: true });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("a duplicate reply to a branch step changes nothing", () => {
    const { saga } = forked();
    saga.reply(PAYER, "CreditReserved", {});
    expect(saga.reply(PAYER, "CreditReserved", {}, { attempt: 1 }).applied).toBe(false);
    expect(saga.waitingOnAll().map((w) => w.step)).toEqual([CO_PAYER]);
  });

  it("a compensation exhausted in one branch lets the other finish, then needs an operator who names the step", () => {
    const { saga } = forked();
    saga.reply(PAYER, "CreditReserved", {});
    // The co-payer's share never answers: its outcome is unknown, so it is released itself,
    // and the payer's share is released at the same time.
    for (let attempt = 1; attempt <= 5; attempt++) {
      saga.timeout(CO_PAYER);
      if (saga.waitingOn(CO_PAYER)?.waitingFor === "retry-timer") saga.retry(CO_PAYER);
    }
    expect(saga.compensations().sort()).toEqual([CO_PAYER, PAYER]);
    // The payer's release keeps failing until its attempts are spent…
    for (let attempt = 1; attempt <= 20; attempt++) {
      saga.fail(PAYER, "DB_DOWN", "down", { compensation: true });
      if (saga.waitingOn(PAYER)?.waitingFor === "retry-timer") {
        saga.retry(PAYER, { compensation: true });
      }
    }
    // …and waits for an operator while the co-payer's release goes on.
    expect(saga.status).toBe("compensating");
    expect(saga.snapshot?.pending[PAYER]).toMatchObject({ waitingFor: "operator", attempt: 20 });
    saga.reply(CO_PAYER, "CreditReleased", {}, { compensation: true });
    expect(saga.status).toBe("needs-intervention");
    // The order is not rejected while a share may still be held.
    expect(saga.compensations()).not.toContain("create-order");
    saga.operator({ action: "retry", expected: { step: PAYER, attempt: 20, compensation: true } });
    saga.reply(PAYER, "CreditReleased", {}, { compensation: true });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("while both shares are pending, an action must name one of them (STEP_NOT_PENDING), and compensate fails the whole group", () => {
    const { saga } = forked();
    const refused = saga.operator({
      action: "compensate",
      expected: { step: "create-order", attempt: 1, compensation: false },
    });
    expect(refused.refused?.code).toBe("STEP_NOT_PENDING");
    expect(refused.refused?.message).toContain(PAYER);
    saga.operator({
      action: "compensate",
      expected: { step: PAYER, attempt: 1, compensation: false },
    });
    expect(saga.compensations().sort()).toEqual([CO_PAYER, PAYER]);
    saga.reply(PAYER, "CreditReleased", {}, { compensation: true });
    saga.reply(CO_PAYER, "CreditReservationNotFound", {}, { compensation: true });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("the saga's deadline during the group stops both shares and undoes them", () => {
    const { saga } = forked();
    saga.reply(PAYER, "CreditReserved", {});
    saga.deadline();
    expect(saga.compensations().sort()).toEqual([CO_PAYER, PAYER]);
  });

  it("explored: every order of the branches' answers ends well, and no branch's effect is left in place", () => {
    const report = exploreSaga(splitOrder, { input });
    assertCleanExploration(report);
    expect(report.endings.completed).toBeGreaterThan(0);
    expect(report.endings.compensated).toBeGreaterThan(0);
    expect(report.endings["needs-intervention"]).toBeGreaterThan(0);
  });
});

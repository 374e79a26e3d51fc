// Sub-saga steps inside the branches of a parallel group: the child's end is a branch step's
// answer like any other, so a child compensated (it undid itself) fails its branch and the
// sibling branch is unwound, its in-flight command included; a sibling failing while the child
// runs asks the child to compensate. Played by hand, then by the author kit's exploration.
import { SubSagaCommand, SubSagaReply } from "@sagaworks/saga-definition";
import {
  rejectOrderCompensation,
  reserveCreditStep as reserveCredit,
} from "@sagaworks/saga-definition/testing";
import { describe, expect, it } from "vitest";
import { createStep, customerAmountSaga, holdSaga, holdStep } from "./sub-saga.fixtures.ts";
import { assertCleanExploration, exploreSaga } from "./testing/explore.ts";
import { SagaTest } from "./testing/saga-test.ts";

/** A child without a pivot, so that `"compensation": "child"` may ask it to undo itself. */
const hold = holdSaga;

/** group(deposit: hold as a child | order: create) → charge (the pivot). */
const parent = customerAmountSaga(
  {
    name: "parallel-parent",
    description: "holds a deposit through a child while it creates the order",
    timeout: "1h",
    steps: [
      {
        name: "prepare",
        kind: "parallel",
        branches: [
          {
            name: "deposit",
            steps: [holdStep],
          },
          {
            name: "order",
            steps: [
              createStep({
                retry: { maxAttempts: 3, nonRetryable: ["ORDER_ID_CONFLICT"] },
                compensation: rejectOrderCompensation(),
              }),
            ],
          },
        ],
      },
      reserveCredit({ name: "charge", pivot: true }, "$.steps.hold.output.held"),
    ],
  },
  [hold],
);

const sent = (saga: SagaTest) =>
  saga.commands().map((c) => `${c.compensation ? "undo " : ""}${c.step}:${c.command}`);

describe("a sub-saga step in a parallel branch", () => {
  it("forks the child's start and the sibling's command in one transition", () => {
    const saga = new SagaTest(parent).start({ customerId: "c-1", amountCents: 500 });
    expect(sent(saga)).toEqual(["hold:StartSaga", "create:CreateOrder"]);
    expect(saga.waitingOnAll().map((work) => work.step)).toEqual(["hold", "create"]);
  });

  it("child compensated while the sibling's command is in flight: the sibling is compensated, the child is not asked again, and no effect is left", () => {
    const saga = new SagaTest(parent).start({ customerId: "c-1", amountCents: 500 });
    // The child undid itself (its credit was refused, say): a business failure of its branch.
    saga.reply("hold", SubSagaReply.compensated, {
      status: "compensated",
      code: "CreditLimitExceeded",
      message: "over the limit",
    });
    expect(saga.status).toBe("compensating");
    // CreateOrder's outcome is unknown: it is compensated, and the order service's guard makes
    // a late CreateOrder harmless.
    expect(saga.waitingOnAll()).toMatchObject([{ step: "create", compensation: true, attempt: 1 }]);
    // The late reply to CreateOrder changes nothing.
    const late = saga.reply("create", "OrderCreated", { orderId: saga.sagaId }, { attempt: 1 });
    expect(late.applied).toBe(false);
    saga.reply("create", "OrderRejected", { orderId: saga.sagaId });
    expect(saga.status).toBe("compensated");
    expect(sent(saga)).toEqual(["hold:StartSaga", "create:CreateOrder", "undo create:RejectOrder"]);
    // The child that compensated itself is never asked to compensate: it holds nothing.
    expect(saga.commands().some((c) => c.command === SubSagaCommand.compensate)).toBe(false);
    expect(saga.snapshot?.failure).toMatchObject({ step: "hold", kind: "business-failure" });
  });

  it("sibling refused while the child runs: the child is asked to compensate, and its answer ends the unwinding", () => {
    const saga = new SagaTest(parent).start({ customerId: "c-1", amountCents: 500 });
    saga.fail("create", "ORDER_ID_CONFLICT", "the order id is taken");
    // The child's outcome is unknown: asked to compensate (its start may still be on its way,
    // in which case the request starts it already compensated).
    expect(saga.waitingOnAll()).toMatchObject([{ step: "hold", compensation: true, attempt: 1 }]);
    const ask = saga.commands().at(-1);
    expect(ask).toMatchObject({
      command: SubSagaCommand.compensate,
      step: "hold",
      payload: { parent: { attempt: 1 } },
    });
    // The child's end answering its start comes late: ignored.
    expect(saga.reply("hold", SubSagaReply.completed, { held: 500 }, { attempt: 1 }).applied).toBe(
      false,
    );
    saga.reply("hold", SubSagaReply.compensated, { status: "compensated" });
    expect(saga.status).toBe("compensated");
    expect(sent(saga)).toEqual([
      "hold:StartSaga",
      "create:CreateOrder",
      "undo hold:CompensateSaga",
    ]);
  });

  it("both branches done: the group joins and the pivot reads the child's output", () => {
    const saga = new SagaTest(parent).start({ customerId: "c-1", amountCents: 500 });
    saga.reply("create", "OrderCreated", { orderId: saga.sagaId });
    saga.reply("hold", SubSagaReply.completed, { held: 500 });
    expect(saga.commands().at(-1)).toMatchObject({
      step: "charge",
      payload: { amountCents: 500 },
    });
    saga.reply("charge", "CreditReserved", { amountCents: 500 });
    expect(saga.status).toBe("completed");
  });
});

describe("the author kit's exploration of a sub-saga step in a parallel branch", () => {
  it("plays every order of the child's ends and the sibling's answers, and finds no path that compensates a step that never ran or leaves an effect after a compensated end", () => {
    const report = exploreSaga(parent, {
      input: { customerId: "c-1", amountCents: 500 },
      answers: {
        hold: { SagaCompleted: { held: 500 } },
        create: { OrderCreated: { orderId: "order-1" } },
      },
    });
    assertCleanExploration(report);
    expect(report.truncated).toBe(false);
    expect(report.endings.completed).toBeGreaterThan(0);
    expect(report.endings.compensated).toBeGreaterThan(0);
  });
});

// Chained steps in the engine: which commands ride along with which, how the answers a chain
// carries are applied (without sending again what a participant already sent), and what a
// silence means while a chain is out.
import { serviceContracts } from "@sagaworks/contracts";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { validDefinition } from "@sagaworks/saga-definition/testing";
import { describe, expect, it } from "vitest";
import { encodedSizeBound } from "./chain.ts";
import { commandMessageId } from "./command-id.ts";
import { actionKey } from "./keys.ts";
import type { Effect, SagaEvent } from "./model.ts";
import { sagaTest } from "./testing/index.ts";

const compiled = compileSagaOrThrow(validDefinition(), { contracts: serviceContracts });
const input = {
  customerId: "c-1",
  items: [{ sku: "x", quantity: 1, unitPriceCents: 5 }],
  totalCents: 5,
};

type SendCommand = Extract<Effect, { type: "send-command" }>;

/** A saga past its customer check, waiting on create-order and the chain sent with it. */
function chainedSaga(definition = compiled) {
  const saga = sagaTest(definition, { chainSteps: true }).start(input);
  saga.respond("verify-customer", 200, { id: "c-1" });
  return saga;
}

function lastCommand(saga: ReturnType<typeof chainedSaga>): SendCommand {
  const sent = saga
    .effects()
    .filter((effect): effect is SendCommand => effect.type === "send-command");
  return sent.at(-1) as SendCommand;
}

/** An answer as the end of a chain hands it over: `forwarded` when its participant sent on. */
function answer(
  saga: ReturnType<typeof chainedSaga>,
  step: string,
  name: string,
  payload: Record<string, unknown>,
  forwarded: boolean,
): SagaEvent {
  const causationId = commandMessageId(saga.sagaId, actionKey(saga.sagaId, step), 1);
  return {
    type: "reply",
    step,
    attempt: 1,
    compensation: false,
    name,
    payload,
    causationId,
    forwarded,
  } as SagaEvent;
}

describe("chained steps", () => {
  it("sends the steps after a command along with it, with holes for what its reply will say", () => {
    const saga = chainedSaga();
    const command = lastCommand(saga);
    expect(command.step).toBe("create-order");
    expect(command.chain?.map((link) => [link.step, link.command, link.after])).toEqual([
      ["reserve-credit", "ReserveCredit", ["OrderCreated"]],
      ["approve-order", "ApproveOrder", ["CreditReserved"]],
    ]);
    const [reserve, approve] = command.chain ?? [];
    // What is known now is filled in; what comes from create-order's reply is a hole.
    expect(reserve?.payload).toEqual({ customerId: "c-1" });
    expect(reserve?.holes).toEqual([
      { at: ["amountCents"], step: "create-order", path: ["totalCents"] },
      { at: ["orderId"], step: "create-order", path: ["orderId"] },
    ]);
    expect(approve?.holes).toEqual([{ at: ["orderId"], step: "create-order", path: ["orderId"] }]);
    // The ids are those the engine itself would give the steps' first attempts.
    expect(reserve?.messageId).toBe(
      commandMessageId(saga.sagaId, actionKey(saga.sagaId, "reserve-credit"), 1),
    );
    // One wait, as long as the whole chain may take.
    const pending = saga.waitingOn();
    expect(pending).toMatchObject({
      step: "create-order",
      chain: ["reserve-credit", "approve-order"],
    });
    const timer = saga
      .effects()
      .find((effect) => effect.type === "schedule-timer" && effect.timerId === pending?.timerId);
    const chainMs = ["create-order", "reserve-credit", "approve-order"]
      .map((name) => compiled.steps.find((step) => step.name === name)?.timeoutMs ?? 0)
      .reduce((sum, ms) => sum + ms, 0);
    expect(timer).toMatchObject({ fireAt: new Date(saga.now.getTime() + chainMs).toISOString() });
  });

  it("applies the answers a chain carries one by one, and sends nothing its participants sent", () => {
    const saga = chainedSaga();
    const before = saga.commands().length;
    const order = { orderId: saga.sagaId, totalCents: 5 };
    expect(saga.send(answer(saga, "create-order", "OrderCreated", order, true)).applied).toBe(true);
    expect(saga.waitingOn()).toMatchObject({ step: "reserve-credit", chain: ["approve-order"] });
    expect(saga.send(answer(saga, "reserve-credit", "CreditReserved", {}, true)).applied).toBe(
      true,
    );
    expect(saga.waitingOn()?.chain).toBeUndefined();
    expect(saga.send(answer(saga, "approve-order", "OrderApproved", {}, false)).applied).toBe(true);
    expect(saga.status).toBe("completed");
    expect(saga.commands().length).toBe(before);
    expect(saga.snapshot?.steps["create-order"]?.output).toEqual(order);
  });

  it("compensates as ever when a step of the chain answers with a business failure", () => {
    const saga = chainedSaga();
    saga.send(answer(saga, "create-order", "OrderCreated", { orderId: "o", totalCents: 5 }, true));
    saga.send(answer(saga, "reserve-credit", "CreditLimitExceeded", { message: "over" }, false));
    expect(saga.status).toBe("compensating");
    expect(lastCommand(saga)).toMatchObject({ command: "RejectOrder", compensation: true });
  });

  it("sends the next command itself when the participant answered instead of sending on", () => {
    const saga = chainedSaga();
    saga.send(answer(saga, "create-order", "OrderCreated", { orderId: "o", totalCents: 5 }, false));
    const command = lastCommand(saga);
    expect(command).toMatchObject({
      step: "reserve-credit",
      messageId: commandMessageId(saga.sagaId, actionKey(saga.sagaId, "reserve-credit"), 1),
      payload: { customerId: "c-1", orderId: "o", amountCents: 5 },
    });
    expect(command.chain?.map((link) => link.step)).toEqual(["approve-order"]);
  });

  it("parks the saga when the chain's first step runs out of attempts: the pivot may have run", () => {
    const saga = chainedSaga();
    for (let attempt = 0; attempt < 10 && saga.waitingOn(); attempt++) {
      const pending = saga.waitingOn();
      if (pending?.waitingFor === "reply") saga.timeout("create-order");
      else saga.retry("create-order");
    }
    expect(saga.status).toBe("needs-intervention");
    expect(saga.snapshot?.steps["reserve-credit"]?.status).toBe("running");
    expect(saga.snapshot?.steps["approve-order"]?.status).toBe("running");
    // Compensating needs the operator's word that the pivot did not apply.
    const expected = {
      step: "create-order",
      attempt: saga.snapshot?.pending["create-order"]?.attempt ?? 0,
      compensation: false,
    };
    expect(saga.operator({ action: "compensate", expected }).refused?.code).toBe(
      "PIVOT_OUTCOME_UNKNOWN",
    );
    // Stated not applied, create-order is undone (the steps after the pivot never ran).
    const forced = saga.operator({ action: "compensate", expected, pivotOutcome: "not-applied" });
    expect(forced.applied).toBe(true);
    expect(lastCommand(saga)).toMatchObject({ command: "RejectOrder", compensation: true });
  });

  it("parks the saga when its deadline passes while a chain holding the pivot is out", () => {
    const saga = chainedSaga();
    saga.deadline();
    expect(saga.status).toBe("needs-intervention");
    expect(saga.snapshot?.failure).toMatchObject({ step: "create-order", kind: "deadline" });
  });

  it("leaves out the links that would make the command larger than the shell's bound", () => {
    const unbounded = lastCommand(chainedSaga());
    const [reserve] = unbounded.chain ?? [];
    const withFirst = encodedSizeBound(unbounded.payload) + encodedSizeBound(reserve);
    const bounded = (chainMaxBytes: number) => {
      const saga = sagaTest(compiled, { chainSteps: true, chainMaxBytes }).start(input);
      saga.respond("verify-customer", 200, { id: "c-1" });
      return saga;
    };
    // Room for the first link only: the chain ends before the second, and the wait with it.
    const one = bounded(withFirst);
    expect(lastCommand(one).chain?.map((link) => link.step)).toEqual(["reserve-credit"]);
    expect(one.waitingOn()?.chain).toEqual(["reserve-credit"]);
    // No room for any: a plain command, and nothing recorded as sent along (so nothing is
    // taken to have possibly run, and the wait is the step's own).
    const none = bounded(encodedSizeBound(unbounded.payload));
    expect(lastCommand(none).chain).toBeUndefined();
    expect(none.waitingOn()?.chain).toBeUndefined();
  });

  it("bounds a value's encoded size from above, characters outside the BMP escaped", () => {
    expect(encodedSizeBound("a")).toBe(3);
    expect(encodedSizeBound({ a: 1 })).toBe(7);
    // JSON keeps é raw (2 bytes of UTF-8, counted 3) and an emoji as two escapes of 6 bytes each.
    expect(encodedSizeBound("é")).toBe(5);
    expect(encodedSizeBound("😀")).toBe(14);
  });

  it("stops a chain at a step with a condition, and sends none with chains off", () => {
    const definition = validDefinition();
    definition.steps[3].when = { path: "$.input.totalCents", greaterThan: 0 };
    const conditional = compileSagaOrThrow(definition, { contracts: serviceContracts });
    expect(lastCommand(chainedSaga(conditional)).chain?.map((link) => link.step)).toEqual([
      "reserve-credit",
    ]);
    const off = sagaTest(compiled).start(input);
    off.respond("verify-customer", 200, { id: "c-1" });
    expect(lastCommand(off).chain).toBeUndefined();
    expect(off.waitingOn()?.chain).toBeUndefined();
  });
});

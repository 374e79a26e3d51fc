// An operator's retry of a sub-saga step starts a new child (the child's key holds the attempt),
// so it is refused while the child of the attempt may still run, and allowed once that child
// has answered. A retry of the step's compensation asks the same child again, and is allowed.
import { SubSagaCommand, SubSagaReply } from "@sagaworks/saga-definition";
import { describe, expect, it } from "vitest";
import { EngineRefusalCode } from "./errors.ts";
import {
  createStep,
  customerAmountSaga,
  holdSaga as hold,
  holdStep,
  placeStep,
} from "./sub-saga.fixtures.ts";
import { SagaTest } from "./testing/saga-test.ts";

const place = customerAmountSaga({
  name: "place",
  description: "places an order",
  output: { orderId: "$.steps.create.reply.orderId" },
  steps: [createStep({ pivot: true })],
});

/** Holds credit through a child, then places the order through another child (the pivot). */
const parent = customerAmountSaga(
  {
    name: "parent",
    description: "two children",
    timeout: "1h",
    steps: [holdStep, placeStep("$.input.amountCents", { pivot: true })],
  },
  [hold, place],
);

/** The parent with `hold` answered: it now waits for the child of `place`. */
function waitingForPlace(): SagaTest {
  const saga = new SagaTest(parent).start({ customerId: "c-1", amountCents: 500 });
  saga.reply("hold", SubSagaReply.completed, {});
  expect(saga.waitingOn()).toMatchObject({ step: "place", attempt: 1, compensation: false });
  return saga;
}

const starts = (saga: SagaTest) =>
  saga.commands().filter((c) => c.command === SubSagaCommand.start && c.step === "place");

describe("an operator's retry of a sub-saga step", () => {
  it("is refused while the child start is awaited, pointing at the child, and starts nothing", () => {
    const saga = waitingForPlace();
    const result = saga.operator({
      action: "retry",
      expected: { step: "place", attempt: 1, compensation: false },
    });
    expect(result.refused?.code).toBe(EngineRefusalCode.childSagaInFlight);
    expect(result.refused?.message).toContain(
      "the child saga (place v1) that attempt 1 started may still be running",
    );
    expect(result.refused?.message).toContain("Act on that child saga instead");
    expect(starts(saga)).toHaveLength(1);
  });

  it("is refused once the deadline parked the parent, since the child may still run; allowed once the child answered", () => {
    const saga = waitingForPlace();
    saga.timeout("place");
    expect(saga.status).toBe("needs-intervention");
    const expected = { step: "place", attempt: 1, compensation: false };
    const refused = saga.operator({ action: "retry", expected });
    expect(refused.refused?.code).toBe(EngineRefusalCode.childSagaInFlight);
    // The child ends after all (an operator settled it): its answer reaches the parked parent,
    // which records it and stays parked for the operator.
    const pending = saga.snapshot?.pending.place;
    const answered = saga.send({
      type: "reply",
      step: "place",
      attempt: 1,
      compensation: false,
      name: SubSagaReply.failed,
      payload: { status: "resolved", code: "resolved", message: "settled by hand" },
      ...(pending?.commandId ? { causationId: pending.commandId } : {}),
    });
    expect(answered.applied).toBe(true);
    expect(saga.status).toBe("needs-intervention");
    expect(saga.snapshot?.steps.place?.childAnswer).toMatchObject({
      attempt: 1,
      reply: SubSagaReply.failed,
    });
    const retried = saga.operator({ action: "retry", expected });
    expect(retried.refused).toBeUndefined();
    expect(saga.waitingOn()).toMatchObject({ step: "place", attempt: 2, waitingFor: "reply" });
    expect(starts(saga).map((c) => c.attempt)).toEqual([1, 2]);
  });

  it("ignores a parked parent's answer from a child of another attempt or command", () => {
    const saga = waitingForPlace();
    saga.timeout("place");
    const late = saga.send({
      type: "reply",
      step: "place",
      attempt: 1,
      compensation: false,
      name: SubSagaReply.completed,
      payload: {},
      causationId: "some-other-command",
    });
    expect(late.applied).toBe(false);
    const refused = saga.operator({
      action: "retry",
      expected: { step: "place", attempt: 1, compensation: false },
    });
    expect(refused.refused?.code).toBe(EngineRefusalCode.childSagaInFlight);
  });

  it("is allowed on the step's compensation: it asks the same child again", () => {
    const saga = new SagaTest(parent).start({ customerId: "c-1", amountCents: 500 });
    saga.reply("hold", SubSagaReply.completed, {});
    saga.reply("place", SubSagaReply.compensated, { code: "CreditLimitExceeded" });
    expect(saga.waitingOn()).toMatchObject({ step: "hold", compensation: true, attempt: 1 });
    const retried = saga.operator({
      action: "retry",
      expected: { step: "hold", attempt: 1, compensation: true },
    });
    expect(retried.refused).toBeUndefined();
    const asks = saga.commands().filter((c) => c.command === SubSagaCommand.compensate);
    expect(asks.map((c) => (c.payload as { parent: { attempt: number } }).parent.attempt)).toEqual([
      1, 1,
    ]);
  });
});

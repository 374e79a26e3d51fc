// A message the saga sent that can never go out parks the saga through the one transition, with
// what an operator's retry needs kept.
import { describe, expect, it } from "vitest";
import { activeWork, type SagaEvent } from "./model.ts";
import { OUTBOX_UNDELIVERABLE } from "./outbox-parking.ts";
import { SagaDriver } from "./testing/driver.ts";
import { compileFixture } from "./testing/fixture-saga.ts";

const parked = (reason: string): SagaEvent => ({ type: "outbox-parked", outboxId: "42", reason });

/** A started fixture saga whose `a` command is in flight, with its timeout armed. */
function atA(): SagaDriver {
  const driver = new SagaDriver(compileFixture());
  driver.start();
  driver.http(200, { id: "thing-1" });
  return driver;
}

describe("parking a saga whose message cannot be sent", () => {
  it("moves a running saga to needs-intervention with the reason, keeping what retry needs", () => {
    const driver = atA();
    const before = driver.snapshot;
    const timer = before ? activeWork(before)?.timerId : undefined;
    expect(timer).toBeTruthy();
    const result = driver.apply(parked("MESSAGE_TOO_LARGE: 2 MB"));
    expect(result.applied).toBe(true);
    expect(result.note).toBe(
      "outbox message 42 parked: MESSAGE_TOO_LARGE: 2 MB; the saga needs intervention",
    );
    expect(result.snapshot).toMatchObject({
      status: "needs-intervention",
      state: before?.state,
      pending: { a: { step: "a", attempt: 1, timerId: "" } },
      failure: { step: "a", kind: "exhausted", code: OUTBOX_UNDELIVERABLE },
      seq: (before?.seq ?? 0) + 1,
    });
    expect(result.snapshot.failure?.message).toBe("MESSAGE_TOO_LARGE: 2 MB");
    expect(result.effects).toEqual([
      { type: "cancel-timer", timerId: timer },
      {
        type: "publish-event",
        name: "saga.needs-intervention",
        step: "a",
        detail: {
          sagaId: result.snapshot.sagaId,
          status: "needs-intervention",
          failure: { ...result.snapshot.failure },
        },
      },
    ]);
    // An operator's retry sends the step again.
    const retried = driver.apply({
      type: "operator",
      action: "retry",
      actor: "ops",
      reason: "smaller payload now",
      expected: { step: "a", attempt: 1, compensation: false },
    });
    expect(retried.applied).toBe(true);
    expect(retried.snapshot.status).toBe("running");
  });

  it("keeps the failure a compensation maps from", () => {
    const driver = atA();
    driver.reply("ADone", {});
    driver.reply("BRefused", {});
    const failure = driver.snapshot?.failure;
    expect(driver.snapshot?.status).toBe("compensating");
    const result = driver.apply(parked("too large"));
    expect(result.snapshot.status).toBe("needs-intervention");
    expect(result.snapshot.failure).toEqual(failure);
  });

  it("leaves an already parked saga as it is, and says so", () => {
    const driver = atA();
    driver.apply(parked("first"));
    const before = driver.snapshot;
    const again = driver.apply(parked("second"));
    expect(again).toMatchObject({
      applied: false,
      effects: [],
      note: "outbox message 42 parked: second",
    });
    expect(again.snapshot).toEqual(before);
  });
});

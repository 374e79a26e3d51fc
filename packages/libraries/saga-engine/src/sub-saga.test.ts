// Sub-saga semantics, parent and child together: the orchestrator's transport (the saga-commands
// queue and the child's answer on the parent's reply queue) is modelled by `Family`, which turns
// one saga's effects into the other's events. Duplicated and late messages, a compensation of a
// running child, and a child past its pivot are played by hand and then at random.
import {
  type CompiledSaga,
  type JsonValue,
  SubSagaCommand,
  SubSagaReply,
} from "@sagaworks/saga-definition";
import {
  approveOrderStep,
  rejectOrderCompensation,
  reserveCreditStep as reserveCredit,
} from "@sagaworks/saga-definition/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Effect, ParentLink } from "./model.ts";
import {
  createStep,
  customerAmountSaga,
  holdSaga,
  holdStep,
  placeStep,
} from "./sub-saga.fixtures.ts";
import { assertCleanExploration, exploreSaga } from "./testing/explore.ts";
import { SagaTest } from "./testing/saga-test.ts";

/** A child without a pivot: every step undoable, so it can be asked to compensate at any time. */
const hold = holdSaga;

/** A child with a pivot: create an order, reserve credit (the pivot), approve it. */
const place = customerAmountSaga({
  name: "place",
  description: "places an order",
  output: { orderId: "$.steps.create.reply.orderId" },
  steps: [
    createStep({ compensation: rejectOrderCompensation() }),
    reserveCredit({ name: "reserve", pivot: true }, "$.input.amountCents"),
    approveOrderStep({ name: "approve" }),
  ],
});

/** The parent: holds credit through `hold`, places an order through `place`, then charges. */
const parent = customerAmountSaga(
  {
    name: "parent",
    description: "starts two children",
    timeout: "1h",
    steps: [
      holdStep,
      placeStep("$.steps.hold.output.held", {
        compensation: {
          service: "order",
          command: "RejectOrder",
          payload: { orderId: "$.steps.place.output.orderId", reason: "parent compensated" },
        },
      }),
      reserveCredit(
        { name: "charge", pivot: true },
        "$.steps.hold.output.held",
        "$.steps.place.output.orderId",
      ),
    ],
  },
  [hold, place],
);

const SAGAS: Record<string, CompiledSaga> = { hold, place };

/** A message in flight between the parent and a child. */
type Message =
  | {
      to: "sagas";
      command: string;
      step: string;
      attempt: number;
      commandId: string;
      childAttempt: number;
      input: JsonValue;
    }
  | { to: "parent"; reply: string; payload: JsonValue; answer: ParentLink["answer"]; step: string };

/**
 * The parent, its children, and the messages between them that the orchestrator would carry.
 * Nothing is delivered until asked, so a test chooses the order, and may deliver twice.
 */
class Family {
  readonly parent = new SagaTest(parent);
  readonly children = new Map<string, SagaTest>();
  readonly inFlight: Message[] = [];
  private seen = 0;

  start(input: JsonValue = { customerId: "c-1", amountCents: 500 }): this {
    this.parent.start(input);
    this.collectParent();
    return this;
  }

  child(step: string): SagaTest {
    const found = [...this.children.entries()].find(([key]) => key.startsWith(`${step}:`));
    if (!found) throw new Error(`no child for ${step}`);
    return found[1];
  }

  /** Picks up what the parent sent to the saga-commands queue since the last look. */
  collectParent(): void {
    const effects = this.parent.effects().slice(this.seen);
    this.seen = this.parent.effects().length;
    for (const effect of effects) {
      if (effect.type !== "send-command" || effect.service !== "sagas") continue;
      const payload = effect.payload as { input: JsonValue; parent: { attempt: number } };
      this.inFlight.push({
        to: "sagas",
        command: effect.command,
        step: effect.step,
        attempt: effect.attempt,
        commandId: effect.messageId,
        childAttempt: payload.parent.attempt,
        input: payload.input,
      });
    }
  }

  private collectChild(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.type !== "answer-parent") continue;
      this.inFlight.push({
        to: "parent",
        reply: effect.reply,
        payload: effect.payload,
        answer: effect.parent.answer,
        step: effect.parent.step,
      });
    }
  }

  /** Delivers the message at `index` (removing it unless `keep`: a redelivery stays queued). */
  deliver(index = 0, keep = false): void {
    const message = this.inFlight[index];
    if (!message) throw new Error(`no message ${index}`);
    if (!keep) this.inFlight.splice(index, 1);
    if (message.to === "parent") {
      this.parent.send({
        type: "reply",
        step: message.step,
        attempt: message.answer.attempt,
        compensation: message.answer.compensation,
        name: message.reply,
        payload: message.payload,
        causationId: message.answer.commandId,
      });
      this.collectParent();
      return;
    }
    // The orchestrator's saga-commands consumer: one child per parent step and attempt.
    const key = `${message.step}:${message.childAttempt}`;
    const existing = this.children.get(key);
    const answer = {
      attempt: message.attempt,
      compensation: message.command === SubSagaCommand.compensate,
      commandId: message.commandId,
    };
    if (existing) {
      if (message.command === SubSagaCommand.start) return;
      const before = existing.effects().length;
      existing.send({
        type: "parent-compensate",
        attempt: answer.attempt,
        commandId: answer.commandId,
      });
      this.collectChild(existing.effects().slice(before));
      return;
    }
    const action = parent.steps.find((step) => step.name === message.step)?.action;
    if (action?.kind !== "saga") throw new Error(`${message.step} is not a sub-saga step`);
    const child = new SagaTest(SAGAS[action.saga.name] as CompiledSaga, {
      sagaId: `child-${key.replace(":", "-")}`,
    });
    this.children.set(key, child);
    const link: ParentLink = {
      sagaId: this.parent.sagaId,
      sagaName: parent.name,
      sagaVersion: parent.version,
      step: message.step,
      answer,
    };
    child.send({ type: "start", sagaId: child.sagaId, input: message.input, parent: link });
    this.collectChild(child.effects());
  }

  /** Lets a child's participant answer, and picks up the child's answer to the parent. */
  inChild(step: string, act: (child: SagaTest) => unknown): void {
    const child = this.child(step);
    const before = child.effects().length;
    act(child);
    this.collectChild(child.effects().slice(before));
  }

  /** Lets the parent act (a participant's reply, a timer), and picks up what it sends. */
  inParent(act: (saga: SagaTest) => unknown): void {
    act(this.parent);
    this.collectParent();
  }
}

/** Runs a child to completion with every participant succeeding. */
function completeHold(family: Family) {
  family.inChild("hold", (c) => c.reply("reserve", "CreditReserved", { amountCents: 500 }));
}

/** A family whose `hold` child completed and whose `place` child started and sent its first command. */
function placeRunning(): Family {
  const family = new Family().start();
  family.deliver();
  completeHold(family);
  family.deliver();
  family.deliver();
  return family;
}

function completePlace(family: Family) {
  family.inChild("place", (c) => {
    c.reply("create", "OrderCreated", { orderId: c.sagaId });
    c.reply("reserve", "CreditReserved", {});
    c.reply("approve", "OrderApproved", {});
  });
}

describe("a sub-saga step", () => {
  it("starts the child with the mapped input, idempotently per step and attempt, and reads its output later", () => {
    const family = new Family().start();
    expect(family.inFlight).toMatchObject([
      { to: "sagas", command: "StartSaga", step: "hold", attempt: 1, childAttempt: 1 },
    ]);
    const start = family.parent.effects().find((e) => e.type === "send-command");
    expect(start).toMatchObject({
      service: "sagas",
      idempotencyKey: `${family.parent.sagaId}:hold:1`,
      payload: {
        saga: { name: "hold", version: 1 },
        input: { customerId: "c-1", amountCents: 500 },
        parent: { sagaId: family.parent.sagaId, step: "hold", attempt: 1 },
      },
    });
    family.deliver(0, true);
    family.deliver(0); // the start redelivered: still one child
    expect(family.children.size).toBe(1);
    completeHold(family);
    expect(family.inFlight).toMatchObject([
      { to: "parent", reply: "SagaCompleted", payload: { held: 500 } },
    ]);
    family.deliver();
    expect(family.parent.snapshot?.steps.hold).toMatchObject({
      status: "succeeded",
      output: { held: 500 },
    });
    // The next child's input reads the first one's output.
    expect(family.inFlight[0]).toMatchObject({ step: "place", input: { amountCents: 500 } });
    family.deliver();
    completePlace(family);
    family.deliver();
    family.inParent((p) => p.reply("charge", "CreditReserved", {}));
    expect(family.parent.status).toBe("completed");
  });

  it("ignores a duplicate of the child's end and an end that comes after the deadline", () => {
    const family = new Family().start();
    family.deliver();
    completeHold(family);
    family.deliver(0, true);
    const before = family.parent.snapshot;
    family.deliver(); // the same end again
    expect(family.parent.history().at(-1)?.applied).toBe(false);
    expect(family.parent.snapshot?.steps).toEqual(before?.steps);

    const late = new Family().start();
    late.deliver();
    late.inParent((p) => p.advance("10m")); // the deadline passes while the child runs
    expect(late.parent.snapshot?.steps.hold?.status).toBe("compensating");
    completeHold(late);
    const end = late.inFlight.findIndex((m) => m.to === "parent");
    late.deliver(end);
    expect(late.parent.history().at(-1)).toMatchObject({ applied: false });
  });

  it("compensates the parent when the child compensated, and asks an earlier completed child without a pivot to undo itself", () => {
    const family = placeRunning();
    family.inChild("place", (c) => {
      c.reply("create", "OrderCreated", { orderId: c.sagaId });
      c.reply("reserve", "CreditLimitExceeded", { message: "limit" });
      c.reply("create", "OrderRejected", {}, { compensation: true });
    });
    expect(family.child("place").status).toBe("compensated");
    family.deliver(); // SagaCompensated: a business failure of `place`, which undid itself
    expect(family.parent.snapshot?.steps.place?.status).toBe("failed");
    expect(family.parent.snapshot?.failure).toMatchObject({
      kind: "business-failure",
      code: "SagaCompensated",
    });
    // Compensating `hold`: its child completed, has no pivot, and is undone from its end.
    expect(family.inFlight).toMatchObject([
      { to: "sagas", command: "CompensateSaga", step: "hold" },
    ]);
    family.deliver();
    expect(family.child("hold").status).toBe("compensating");
    expect(family.child("hold").snapshot?.failure).toMatchObject({ kind: "parent" });
    family.inChild("hold", (c) => c.reply("reserve", "CreditReleased", {}, { compensation: true }));
    expect(family.child("hold").status).toBe("compensated");
    family.deliver();
    expect(family.parent.status).toBe("compensated");
    // Nothing of either child is left in effect.
    expect(family.child("hold").compensations()).toEqual(["reserve"]);
    expect(family.child("place").compensations()).toEqual(["create"]);
  });

  it("asks a running child to compensate when the parent compensates, and the child stops where it is", () => {
    const family = placeRunning();
    // The child waits on its first step's reply (before its pivot) when the parent's deadline
    // passes.
    family.inParent((p) => p.deadline());
    expect(family.parent.snapshot?.steps.place?.status).toBe("compensating");
    const request = family.inFlight.findIndex(
      (m) => m.to === "sagas" && m.command === "CompensateSaga",
    );
    family.deliver(request);
    const child = family.child("place");
    expect(child.status).toBe("compensating");
    expect(child.snapshot?.failure).toMatchObject({ kind: "parent", step: "create" });
    // The step's reply arriving now is late: the child has moved on, undoing it.
    expect(child.reply("create", "OrderCreated", {}, { attempt: 1 }).applied).toBe(false);
    family.inChild("place", (c) => c.reply("create", "OrderRejected", {}, { compensation: true }));
    expect(child.status).toBe("compensated");
    family.deliver(family.inFlight.findIndex((m) => m.to === "parent"));
    // The place step is undone (its child undid itself), then `hold` is asked.
    expect(family.parent.snapshot?.steps.place?.status).toBe("compensated");
    family.deliver(family.inFlight.findIndex((m) => m.to === "sagas"));
    family.inChild("hold", (c) => c.reply("reserve", "CreditReleased", {}, { compensation: true }));
    family.deliver(family.inFlight.findIndex((m) => m.to === "parent"));
    expect(family.parent.status).toBe("compensated");
  });

  it("waits for a child past its pivot, then runs the step's own compensation with the child's output", () => {
    const family = placeRunning();
    family.inChild("place", (c) => {
      c.reply("create", "OrderCreated", { orderId: c.sagaId });
      c.reply("reserve", "CreditReserved", {});
    });
    family.inParent((p) => p.deadline());
    family.deliver(family.inFlight.findIndex((m) => m.to === "sagas"));
    const child = family.child("place");
    // Past its pivot the child goes on; the request is answered when it ends.
    expect(child.status).toBe("running");
    expect(family.inFlight.filter((m) => m.to === "parent")).toEqual([]);
    family.inChild("place", (c) => c.reply("approve", "OrderApproved", {}));
    expect(family.inFlight.at(-1)).toMatchObject({
      to: "parent",
      reply: SubSagaReply.completed,
      answer: { compensation: true },
    });
    family.deliver(family.inFlight.length - 1);
    const reject = family.parent.effects().findLast((e) => e.type === "send-command");
    expect(reject).toMatchObject({
      service: "order",
      command: "RejectOrder",
      compensation: true,
      payload: { orderId: child.sagaId, reason: "parent compensated" },
    });
    family.inParent((p) => p.reply("place", "OrderRejected", {}, { compensation: true }));
    expect(family.parent.snapshot?.steps.place?.status).toBe("compensated");
  });

  it("counts only the child's answer to a request to compensate, not a reply of the step's own command", () => {
    const family = placeRunning();
    family.inParent((p) => p.deadline());
    // OrderRejected answers the step's own command, which is not sent until the child ended.
    family.inParent((p) => p.reply("place", "OrderRejected", {}, { compensation: true }));
    expect(family.parent.snapshot?.steps.place?.status).toBe("compensating");
    expect(family.parent.waitingOn("place")).toMatchObject({
      compensation: true,
      waitingFor: "retry-timer",
    });
  });

  it("starts a child already compensated when the request to compensate overtakes its start", () => {
    const family = new Family().start();
    family.inParent((p) => p.advance("10m")); // the deadline passes before the start arrived
    const request = family.inFlight.findIndex(
      (m) => m.to === "sagas" && m.command === "CompensateSaga",
    );
    family.deliver(request);
    const child = family.child("hold");
    expect(child.status).toBe("compensated");
    expect(child.commands()).toEqual([]);
    family.deliver(family.inFlight.findIndex((m) => m.to === "sagas")); // the start, late: nothing
    expect(family.children.size).toBe(1);
    family.deliver(family.inFlight.findIndex((m) => m.to === "parent"));
    expect(family.parent.status).toBe("compensated");
  });
});

describe("the author kit's exploration of sub-saga steps", () => {
  it("plays every end of each child and both phases of the explicit compensation, and finds no path that ends badly or compensates a step that never ran", () => {
    const report = exploreSaga(parent, {
      input: { customerId: "c-1", amountCents: 500 },
      answers: {
        hold: { SagaCompleted: { held: 500 } },
        place: { SagaCompleted: { orderId: "order-1" } },
      },
    });
    assertCleanExploration(report);
    expect(report.truncated).toBe(false);
    expect(report.endings.completed).toBeGreaterThan(0);
    expect(report.endings.compensated).toBeGreaterThan(0);
  });
});

describe("sub-sagas, at random", () => {
  it("whatever the order, duplicates and participants' answers, the parent ends cleanly and no child's effect outlives a compensated parent", () => {
    const ended = new Set<string>();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.nat(9)), { minLength: 1, maxLength: 80 }),
        (moves) => {
          const family = new Family().start();
          for (const [pick, duplicate, choice] of moves) {
            const now = family.parent.status;
            if (now === "completed" || now === "compensated" || now === "failed") break;
            const options: Array<() => void> = [];
            if (family.inFlight.length > 0) {
              options.push(() => family.deliver(pick % family.inFlight.length, duplicate));
            }
            for (const [key, child] of family.children) {
              const work = child.waitingOn();
              if (work?.waitingFor !== "reply") continue;
              const step = child.compiled.steps.find((s) => s.name === work.step);
              if (!step) continue;
              const names = work.compensation
                ? (step.compensation?.success ?? [])
                : [
                    ...step.outcomes.success,
                    ...(step.role === "retriable" ? [] : step.outcomes.businessFailure),
                  ];
              const name = names[choice % Math.max(1, names.length)];
              if (name) {
                options.push(() =>
                  family.inChild(key.split(":")[0] as string, (c) =>
                    c.reply(
                      work.step,
                      name,
                      { amountCents: 500, orderId: c.sagaId },
                      { compensation: work.compensation },
                    ),
                  ),
                );
              }
            }
            const parentWork = family.parent.waitingOn();
            if (parentWork?.waitingFor === "reply" && parentWork.step === "charge") {
              options.push(() =>
                family.inParent((p) =>
                  p.reply(
                    "charge",
                    choice % 2 === 0 ? "CreditReserved" : "CreditLimitExceeded",
                    {},
                  ),
                ),
              );
            }
            if (
              parentWork?.waitingFor === "reply" &&
              parentWork.compensation &&
              parentWork.step === "place" &&
              family.parent.snapshot?.steps.place?.childEnded === true
            ) {
              options.push(() =>
                family.inParent((p) =>
                  p.reply("place", "OrderRejected", {}, { compensation: true }),
                ),
              );
            }
            if (choice === 9) options.push(() => family.inParent((p) => p.fire()));
            const move = options[pick % Math.max(1, options.length)];
            if (!move) break;
            move();
          }
          const status = family.parent.status;
          if (status === "completed") {
            for (const child of family.children.values()) expect(child.status).toBe("completed");
          }
          if (status === "completed" || status === "compensated") ended.add(status);
          if (status === "compensated") {
            // Each child undid itself or, past its pivot, was undone by the step's own command.
            for (const [key, child] of family.children) {
              const record = family.parent.snapshot?.steps[key.split(":")[0] as string];
              const undoneByParent = record?.status === "compensated" && record.childEnded === true;
              expect(
                child.status === "compensated" ||
                  child.status === "failed" ||
                  (child.status === "completed" && undoneByParent),
                `${key} is ${child.status}`,
              ).toBe(true);
            }
          }
          // A saga never compensates a step that never ran.
          for (const saga of [family.parent, ...family.children.values()]) {
            for (const { result, before } of saga.transitions()) {
              for (const effect of result.effects) {
                if (effect.type !== "send-command" || !effect.compensation || !before) continue;
                expect(before.steps[effect.step]?.attempts ?? 0).toBeGreaterThan(0);
              }
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
    // The runs reach both endings, so the checks above were exercised.
    expect([...ended].sort()).toEqual(["compensated", "completed"]);
  });
});

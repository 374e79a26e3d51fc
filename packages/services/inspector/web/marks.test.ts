// The saga page's colouring and action choice, on the shipped create-order diagram.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { compileSagaOrThrow, renderMermaid } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import type { PendingWork, SagaSnapshot, StepRecord } from "@sagaworks/saga-engine";
import { describe, expect, it } from "vitest";
import { allowedActions, pendingWorks, sentAlong } from "./actions.ts";
import { markedDiagram, stateMarks } from "./marks.ts";

const createOrder = compileSagaOrThrow(
  JSON.parse(readFileSync(join(sagaDefinitionsDir, "create-order.saga.json"), "utf8")),
  { contracts: serviceContracts },
);
const states = Object.keys(createOrder.states);

const step = (status: StepRecord["status"]): StepRecord => ({
  status,
  attempts: 1,
  compensationAttempts: 0,
  output: null,
  lastError: null,
});

function snapshot(overrides: Partial<SagaSnapshot>): SagaSnapshot {
  return {
    sagaId: "00000000-0000-4000-8000-000000000001",
    sagaName: "create-order",
    sagaVersion: 1,
    sagaHash: createOrder.hash,
    status: "running",
    state: "step:verify-customer",
    input: {},
    steps: {},
    pending: {},
    failure: null,
    pivotPassed: false,
    deadlineAt: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    seq: 1,
    ...overrides,
  };
}

const pending = (name: string, compensation = false): SagaSnapshot["pending"] => ({
  [name]: {
    step: name,
    compensation,
    attempt: 1,
    attemptBase: 0,
    waitingFor: "reply",
    timerId: "t",
    idempotencyKey: "k",
  },
});

describe("stateMarks", () => {
  it("marks the steps done and the one running as current", () => {
    const marks = stateMarks(
      snapshot({
        state: "step:reserve-credit",
        steps: {
          "verify-customer": step("succeeded"),
          "create-order": step("succeeded"),
          "reserve-credit": step("running"),
        },
      }),
      states,
    );
    expect(Object.fromEntries(marks)).toEqual({
      "step:verify-customer": "done",
      "step:create-order": "done",
      "step:reserve-credit": "current",
    });
  });

  it("marks a step whose condition was false apart from an operator's skip", () => {
    const marks = stateMarks(
      snapshot({
        state: "step:reserve-credit",
        steps: {
          "verify-customer": step("not-taken"),
          "create-order": step("skipped"),
          "reserve-credit": step("running"),
        },
      }),
      states,
    );
    expect(Object.fromEntries(marks)).toMatchObject({
      "step:verify-customer": "notTaken",
      "step:create-order": "skipped",
    });
  });

  it("marks a compensated saga: the failed pivot, the undone step and its compensation", () => {
    const marks = stateMarks(
      snapshot({
        status: "compensated",
        state: "compensated",
        steps: {
          "verify-customer": step("succeeded"),
          "create-order": step("compensated"),
          "reserve-credit": step("failed"),
        },
      }),
      states,
    );
    expect(Object.fromEntries(marks)).toEqual({
      "step:verify-customer": "done",
      "step:create-order": "compensated",
      "compensate:create-order": "compensated",
      "step:reserve-credit": "failed",
      compensated: "compensated",
    });
  });

  it("marks the compensation running as current, and parks as failed", () => {
    const compensating = stateMarks(
      snapshot({
        status: "compensating",
        state: "compensate:create-order",
        steps: { "create-order": step("compensating"), "reserve-credit": step("failed") },
      }),
      states,
    );
    expect(compensating.get("compensate:create-order")).toBe("current");
    expect(compensating.get("step:create-order")).toBe("done");
    const parked = stateMarks(
      snapshot({ status: "needs-intervention", state: "needs-intervention" }),
      states,
    );
    expect(parked.get("needs-intervention")).toBe("failed");
  });

  it("leaves out states the diagram does not have", () => {
    const marks = stateMarks(snapshot({ state: "step:no-such-step" }), states);
    expect(marks.has("step:no-such-step")).toBe(false);
  });
});

describe("markedDiagram", () => {
  it("replaces the role classes with the saga's marks, on the compiler's node ids", () => {
    const mermaid = renderMermaid(createOrder);
    expect(mermaid).toMatch(/^\s*class .* pivot$/m);
    const marked = markedDiagram(
      mermaid,
      new Map([
        ["step:create-order", "compensated"],
        ["compensate:create-order", "compensated"],
        ["step:reserve-credit", "failed"],
      ]),
    );
    expect(marked).not.toMatch(/^\s*class .* pivot$/m);
    expect(marked).toContain("  class step_create_order,compensate_create_order compensated");
    expect(marked).toContain("  class step_reserve_credit failed");
    expect(marked).toMatch(/classDef failed fill:/);
    // Everything else of the diagram is kept.
    expect(marked).toContain("[*] --> step_verify_customer");
  });
});

describe("allowedActions", () => {
  it("offers retry and compensate while a forward step awaits its reply, and skip once it waits to retry", () => {
    expect(allowedActions(snapshot({ pending: pending("create-order") }))).toEqual([
      "retry",
      "compensate",
    ]);
    const work = pending("create-order")["create-order"] as PendingWork;
    const retrying = { "create-order": { ...work, waitingFor: "retry-timer" as const } };
    expect(allowedActions(snapshot({ pending: retrying }))).toEqual([
      "retry",
      "skip",
      "compensate",
    ]);
  });

  it("offers resolve too when the saga needs intervention, and not compensate while compensating", () => {
    expect(
      allowedActions(
        snapshot({ status: "needs-intervention", pending: pending("reserve-credit") }),
      ),
    ).toEqual(["retry", "skip", "compensate", "resolve"]);
    expect(
      allowedActions(
        snapshot({ status: "needs-intervention", pending: pending("create-order", true) }),
      ),
    ).toEqual(["retry", "skip", "resolve"]);
    expect(
      allowedActions(snapshot({ status: "compensating", pending: pending("create-order", true) })),
    ).toEqual(["retry"]);
  });

  it("with several steps pending in a parallel group, offers what at least one of them allows, and lists each", () => {
    const replies = pending("reserve-payer-share");
    const work = pending("reserve-co-payer-share")["reserve-co-payer-share"] as PendingWork;
    const group = {
      ...replies,
      "reserve-co-payer-share": { ...work, waitingFor: "retry-timer" as const },
    };
    expect(allowedActions(snapshot({ pending: group }))).toEqual(["retry", "skip", "compensate"]);
    expect(pendingWorks(snapshot({ pending: group })).map((each) => each.step)).toEqual([
      "reserve-payer-share",
      "reserve-co-payer-share",
    ]);
    // Only compensations pending (the group is being undone): no compensate.
    const undoing = {
      ...pending("reserve-payer-share", true),
      ...pending("reserve-co-payer-share", true),
    };
    expect(allowedActions(snapshot({ status: "compensating", pending: undoing }))).toEqual([
      "retry",
    ]);
  });

  it("offers nothing once the saga is finished", () => {
    for (const status of ["completed", "compensated", "failed", "resolved"] as const) {
      expect(allowedActions(snapshot({ status, pending: {} }))).toEqual([]);
    }
  });
});

describe("sentAlong", () => {
  it("names each step a pending chain sent along with the step whose command carried it", () => {
    const work = pending("create-order")["create-order"] as PendingWork;
    const chained = snapshot({
      pending: { "create-order": { ...work, chain: ["reserve-credit", "approve-order"] } },
    });
    expect(Object.fromEntries(sentAlong(chained))).toEqual({
      "reserve-credit": "create-order",
      "approve-order": "create-order",
    });
    expect(sentAlong(snapshot({ pending: pending("create-order") })).size).toBe(0);
  });
});

// Parallel groups in the definition: the validator's group rules (each reported at its line and
// column), the compiled fork/join/unwind states, and the diagram.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { describe, expect, it } from "vitest";
import { renderMermaid } from "./diagram.ts";
import { DiagnosticCode as C } from "./errors.ts";
import { checkDefinitionText } from "./files/definition-files.ts";
import { compile, expectProblem, expectValid } from "./test-fixtures.ts";

const definitionsDir = join(import.meta.dirname, "../../../../saga-definitions");

// biome-ignore lint/suspicious/noExplicitAny: tests edit the authored JSON freely
type Json = any;

/** The shipped split-order definition, to be broken in one place per test. */
function splitOrder(): Json {
  return JSON.parse(readFileSync(join(definitionsDir, "split-order.saga.json"), "utf8"));
}

const GROUP = ["steps", 1] as const;
const branchStep = (branch: number, step = 0) =>
  [...GROUP, "branches", branch, "steps", step] as const;

describe("a parallel group in the definition", () => {
  it("compiles to a fork, a join and an unwind; branch steps keep their group and branch", () => {
    const saga = expectValid(splitOrder());
    expect(saga.groups).toEqual([
      {
        name: "reserve-shares",
        description: expect.any(String),
        branches: [
          { name: "payer", steps: ["reserve-payer-share"] },
          { name: "co-payer", steps: ["reserve-co-payer-share"] },
        ],
      },
    ]);
    expect(saga.states["step:create-order"]).toMatchObject({ onSuccess: "fork:reserve-shares" });
    expect(saga.states["fork:reserve-shares"]).toEqual({
      type: "fork",
      group: "reserve-shares",
      branches: [
        {
          name: "payer",
          start: "step:reserve-payer-share",
          unwind: "compensate:reserve-payer-share",
        },
        {
          name: "co-payer",
          start: "step:reserve-co-payer-share",
          unwind: "compensate:reserve-co-payer-share",
        },
      ],
    });
    expect(saga.states["step:reserve-payer-share"]).toMatchObject({
      onSuccess: "join:reserve-shares",
      onFailure: "unwind:reserve-shares",
      onExhausted: "compensate:reserve-payer-share",
    });
    expect(saga.states["compensate:reserve-payer-share"]).toMatchObject({
      onSuccess: "unwind:reserve-shares",
    });
    expect(saga.states["join:reserve-shares"]).toMatchObject({ onSuccess: "step:approve-order" });
    expect(saga.states["unwind:reserve-shares"]).toMatchObject({
      onSuccess: "compensate:create-order",
    });
    expect(saga.steps.find((s) => s.name === "reserve-co-payer-share")?.branch).toEqual({
      group: "reserve-shares",
      branch: "co-payer",
    });
    // A step after the group that fails undoes the whole group.
    expect(saga.states["step:approve-order"]).toMatchObject({
      onFailure: "unwind:reserve-shares",
    });
  });

  it("chains the compensations inside a branch of several steps, and a group with no undoable step is passed over", () => {
    const definition = splitOrder();
    const payer = definition.steps[1].branches[0];
    const second = structuredClone(payer.steps[0]);
    second.name = "reserve-payer-extra";
    payer.steps.push(second);
    const saga = expectValid(definition);
    expect(saga.states["step:reserve-payer-share"]).toMatchObject({
      onSuccess: "step:reserve-payer-extra",
      onFailure: "unwind:reserve-shares",
    });
    expect(saga.states["step:reserve-payer-extra"]).toMatchObject({
      onSuccess: "join:reserve-shares",
      onFailure: "compensate:reserve-payer-share",
      onExhausted: "compensate:reserve-payer-extra",
    });
    expect(saga.states["compensate:reserve-payer-extra"]).toMatchObject({
      onSuccess: "compensate:reserve-payer-share",
    });
    expect(saga.states["fork:reserve-shares"]).toMatchObject({
      branches: [
        { name: "payer", unwind: "compensate:reserve-payer-extra" },
        { name: "co-payer", unwind: "compensate:reserve-co-payer-share" },
      ],
    });
  });

  it("draws fork and join bars, and the failure path into the group's unwinding", () => {
    const diagram = renderMermaid(expectValid(splitOrder()));
    expect(diagram).toContain("  state fork_reserve_shares <<fork>>");
    expect(diagram).toContain("  state join_reserve_shares <<join>>");
    expect(diagram).toContain("  step_create_order --> fork_reserve_shares: OrderCreated");
    expect(diagram).toContain("  fork_reserve_shares --> step_reserve_payer_share: branch payer");
    expect(diagram).toContain(
      "  fork_reserve_shares --> step_reserve_co_payer_share: branch co-payer",
    );
    expect(diagram).toContain("  join_reserve_shares --> step_approve_order: every branch done");
    expect(diagram).toContain(
      "  step_reserve_payer_share --> unwind_reserve_shares: fails\u2236 stop the other branches",
    );
    expect(diagram).toContain(
      "  unwind_reserve_shares --> compensate_reserve_co_payer_share: undo branch co-payer",
    );
    expect(diagram).toContain(
      "  compensate_reserve_payer_share --> unwind_reserve_shares_done: undone",
    );
    expect(diagram).toContain(
      "  unwind_reserve_shares_done --> compensate_create_order: every branch undone",
    );
  });
});

describe("the validator's group rules", () => {
  it("refuses a group with one branch, and a branch without steps", () => {
    const one = splitOrder();
    one.steps[1].branches.pop();
    expectProblem(one, C.parallelBranchesTooFew, [...GROUP, "branches"]);
    const empty = splitOrder();
    empty.steps[1].branches[1].steps = [];
    expectProblem(empty, C.parallelBranchEmpty, [...GROUP, "branches", 1, "steps"]);
  });

  it("refuses a group inside a branch, and two branches with one name", () => {
    const nested = splitOrder();
    nested.steps[1].branches[1].steps.push(structuredClone(nested.steps[1]));
    expectProblem(nested, C.parallelNested, [...branchStep(1, 1), "kind"]);
    const twice = splitOrder();
    twice.steps[1].branches[1].name = "payer";
    expectProblem(twice, C.parallelBranchNameDuplicate, [...GROUP, "branches", 1, "name"]);
  });

  it("keeps step names unique across branches, and a group's name among them", () => {
    const clash = splitOrder();
    clash.steps[1].branches[1].steps[0].name = "reserve-payer-share";
    expectProblem(clash, C.stepNameDuplicate, [...branchStep(1), "name"]);
    const groupClash = splitOrder();
    groupClash.steps[1].name = "create-order";
    expectProblem(groupClash, C.stepNameDuplicate, [...GROUP, "name"]);
  });

  it("refuses the pivot inside a branch, and a branch step before the pivot that cannot be undone", () => {
    const pivot = splitOrder();
    delete pivot.steps[2].pivot;
    const share = pivot.steps[1].branches[0].steps[0];
    delete share.compensation;
    share.pivot = true;
    expectProblem(pivot, C.pivotInBranch, [...branchStep(0), "pivot"]);
    const undoable = splitOrder();
    delete undoable.steps[1].branches[1].steps[0].compensation;
    expectProblem(undoable, C.pivotCompensationMissing, branchStep(1));
  });

  it("never makes a branch step the implicit pivot: a saga ending in a group must undo every step", () => {
    const endsInGroup = splitOrder();
    endsInGroup.steps.pop();
    const saga = expectValid(endsInGroup);
    expect(saga.pivot).toBeNull();
    expect(saga.states["join:reserve-shares"]).toMatchObject({ onSuccess: "completed" });
  });

  it("refuses a branch reading its sibling's output, in a mapping or a condition, and lets a later step read any branch", () => {
    const mapping = splitOrder();
    mapping.steps[1].branches[1].steps[0].payload.orderId =
      "$.steps.reserve-payer-share.reply.orderId";
    const problem = expectProblem(mapping, C.pathSiblingBranch, [
      ...branchStep(1),
      "payload",
      "orderId",
    ]);
    expect(problem.message).toContain('branch "payer" of group "reserve-shares"');
    const condition = splitOrder();
    condition.steps[1].branches[1].steps[0].when = { stepRan: "reserve-payer-share" };
    expectProblem(condition, C.pathSiblingBranch, [...branchStep(1), "when", "stepRan"]);
    const later = splitOrder();
    later.steps[2].payload.orderId = "$.steps.reserve-co-payer-share.reply.orderId";
    expect(compile(later).ok).toBe(true);
  });

  it("counts the steps inside branches against the step limit", () => {
    const big = splitOrder();
    const template = big.steps[1].branches[0].steps[0];
    big.steps[1].branches[0].steps = Array.from({ length: 200 }, (_, index) => ({
      ...structuredClone(template),
      name: `share-${index}`,
    }));
    const result = compile(big);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => d.message).join("\n")).toContain(
      "counting those inside parallel branches",
    );
  });

  it("reports the broken variants at their line and column", () => {
    const broken = splitOrder();
    const [payer, coPayer] = broken.steps[1].branches;
    delete broken.steps[2].pivot;
    delete payer.steps[0].compensation;
    payer.steps[0].pivot = true;
    coPayer.steps[0].payload.orderId = "$.steps.reserve-payer-share.reply.orderId";
    const text = `${JSON.stringify(broken, null, 2)}\n`;
    const result = checkDefinitionText(text, "split-order.saga.json", {
      contracts: serviceContracts,
      fileName: "split-order.saga.json",
    });
    const lines = text.split("\n");
    const at = (code: string) => result.problems.find((problem) => problem.code === code);
    expect(lines[(at(C.pivotInBranch)?.line ?? 0) - 1]).toContain('"pivot": true');
    expect(lines[(at(C.pathSiblingBranch)?.line ?? 0) - 1]).toContain(
      '"orderId": "$.steps.reserve-payer-share.reply.orderId"',
    );
    for (const problem of result.problems) {
      expect(problem.line, problem.code).toBeGreaterThan(1);
      expect(problem.column, problem.code).toBeGreaterThan(1);
    }
  });
});

/** An await step on the payment id, added to split-order's input. */
function withPaymentWait(definition: Json): Json {
  definition.input.properties.paymentId = { type: "string", minLength: 1 };
  definition.input.required.push("paymentId");
  return {
    name: "await-payment",
    kind: "await",
    service: "payment-provider",
    correlation: "$.input.paymentId",
    outcomes: { success: ["PaymentCaptured"], businessFailure: ["PaymentDeclined"] },
    deadline: { after: "30m", otherwise: "compensate" },
  };
}

describe("await steps beside parallel groups", () => {
  it("compiles a wait after a group: the join goes on to it, and its deadline and refusal undo the whole group", () => {
    const definition = splitOrder();
    definition.steps.splice(2, 0, withPaymentWait(definition));
    const saga = expectValid(definition);
    expect(saga.states["join:reserve-shares"]).toMatchObject({
      onSuccess: "step:await-payment",
    });
    expect(saga.states["step:await-payment"]).toMatchObject({
      onSuccess: "step:approve-order",
      onFailure: "unwind:reserve-shares",
      onExhausted: "unwind:reserve-shares",
    });
    expect(saga.steps.find((step) => step.name === "await-payment")).not.toHaveProperty("branch");
  });

  it("refuses a wait inside a branch, at its kind, and reports it at its line and column", () => {
    const definition = splitOrder();
    definition.steps[1].branches[0].steps.push(withPaymentWait(definition));
    const problem = expectProblem(definition, C.awaitInBranch, [...branchStep(0, 1), "kind"]);
    expect(problem.message).toContain('group "reserve-shares"');
    const text = `${JSON.stringify(definition, null, 2)}\n`;
    const result = checkDefinitionText(text, "split-order.saga.json", {
      contracts: serviceContracts,
      fileName: "split-order.saga.json",
    });
    const found = result.problems.find((p) => p.code === C.awaitInBranch);
    expect(text.split("\n")[(found?.line ?? 0) - 1]).toContain('"kind": "await"');
    expect(found?.column).toBeGreaterThan(1);
  });

  it("reports an await step's own problems inside a branch at the path it was written at", () => {
    const definition = splitOrder();
    const wait = withPaymentWait(definition);
    wait.deadline.after = "2h";
    definition.steps[1].branches[1].steps.push(wait);
    expectProblem(definition, C.awaitDeadlineExceedsSagaTimeout, [
      ...branchStep(1, 1),
      "deadline",
      "after",
    ]);
  });
});

// `diffSagas` and `inFlightContractChanges` on compiled pairs: a valid definition, and a copy
// changed the way an author would, one finding per change.
import { serviceContracts } from "@sagaworks/contracts";
import { describe, expect, it } from "vitest";
import { compileSagaOrThrow } from "../compile.ts";
import type { ContractRegistry } from "../contract-registry.ts";
import { type Loose, validDefinition } from "../testing/index.ts";
import { diffSagas, inFlightContractChanges, type SagaChange } from "./saga-diff.ts";

const compile = (definition: Loose) =>
  compileSagaOrThrow(definition, { contracts: serviceContracts });

/** The findings of changing a copy of the valid definition (version bumped unless told). */
function diffAfter(change: (definition: Loose) => void, bump = true): SagaChange[] {
  const before = validDefinition();
  const after = validDefinition();
  if (bump) after.version = 2;
  change(after);
  return diffSagas(compile(before), compile(after));
}

const codes = (changes: SagaChange[]) => changes.map((change) => change.code);

describe("diffSagas on compiled pairs", () => {
  it("finds nothing between two compilations of the same file", () => {
    expect(diffSagas(compile(validDefinition()), compile(validDefinition()))).toEqual([]);
  });

  it("is an error when the machine changed but the version did not, and lists the change", () => {
    const changes = diffAfter((d) => {
      d.steps[1].timeout = "45s";
    }, false);
    expect(changes[0]).toMatchObject({
      code: "SAGA_VERSION_NOT_BUMPED",
      severity: "error",
      path: ["version"],
    });
    expect(changes[0]?.message).toContain('Set "version" to 2');
    expect(changes[1]).toMatchObject({
      code: "SAGA_TIMEOUT_CHANGED",
      severity: "note",
      path: ["steps", 1, "timeout"],
      step: "create-order",
    });
    expect(changes[1]?.message).toContain("30000 → 45000");
  });

  it("is an error when the version went down", () => {
    const before = validDefinition();
    before.version = 3;
    expect(codes(diffSagas(compile(before), compile(validDefinition())))).toContain(
      "SAGA_VERSION_LOWERED",
    );
  });

  it("reports added, removed and reordered steps", () => {
    const added = diffAfter((d) => {
      d.steps.splice(1, 0, { ...structuredClone(d.steps[0]), name: "verify-again" });
    });
    expect(added).toContainEqual(
      expect.objectContaining({
        code: "SAGA_STEP_ADDED",
        path: ["steps", 1],
        step: "verify-again",
      }),
    );
    const removed = diffAfter((d) => {
      d.steps.splice(0, 1);
      d.steps[0].payload.customerId = "$.input.customerId";
    });
    expect(removed).toContainEqual(
      expect.objectContaining({ code: "SAGA_STEP_REMOVED", step: "verify-customer" }),
    );
    const reordered = diffAfter((d) => {
      const [verify, create] = d.steps;
      d.steps[0] = create;
      d.steps[1] = verify;
      d.steps[0].payload.customerId = "$.input.customerId";
    });
    expect(reordered).toContainEqual(
      expect.objectContaining({ code: "SAGA_STEPS_REORDERED", path: ["steps", 0] }),
    );
    expect(reordered.find((c) => c.code === "SAGA_STEPS_REORDERED")?.message).toContain(
      "verify-customer, create-order, reserve-credit, approve-order → create-order, verify-customer",
    );
  });

  it("reports a moved pivot at the new pivot", () => {
    const changes = diffAfter((d) => {
      delete d.steps[2].pivot;
      d.steps[2].compensation = {
        command: "ReleaseCredit",
        payload: {
          customerId: "$.input.customerId",
          orderId: "$.steps.create-order.reply.orderId",
          amountCents: "$.steps.create-order.reply.totalCents",
        },
      };
      d.steps[3].pivot = true;
    });
    expect(changes).toContainEqual(
      expect.objectContaining({ code: "SAGA_PIVOT_MOVED", path: ["steps", 3, "pivot"] }),
    );
    expect(changes).toContainEqual(
      expect.objectContaining({
        code: "SAGA_COMPENSATION_CHANGED",
        path: ["steps", 2, "compensation"],
      }),
    );
  });

  it("reports changed compensations, outcomes, retries, timeouts and mappings where they are written", () => {
    const changes = diffAfter((d) => {
      d.steps[1].compensation.payload.reason = "cancelled by the saga";
      d.steps[2].outcomes = { success: ["CreditReserved", "CreditLimitExceeded"] };
      d.steps[0].retry = { maxAttempts: 5 };
      d.steps[2].timeout = "1m";
      d.steps[2].payload.amountCents = "$.input.totalCents";
    });
    const at = (code: string) => changes.filter((c) => c.code === code).map((c) => c.path);
    expect(at("SAGA_COMPENSATION_CHANGED")).toEqual([["steps", 1, "compensation"]]);
    expect(at("SAGA_OUTCOMES_CHANGED")).toEqual([["steps", 2, "outcomes"]]);
    expect(at("SAGA_RETRY_CHANGED")).toEqual([["steps", 0, "retry"]]);
    expect(at("SAGA_TIMEOUT_CHANGED")).toEqual([["steps", 2, "timeout"]]);
    expect(at("SAGA_MAPPING_CHANGED")).toEqual([["steps", 2, "payload"]]);
    expect(changes.every((c) => c.severity === "note")).toBe(true);
    const retry = changes.find((c) => c.code === "SAGA_RETRY_CHANGED");
    expect(retry?.message).toContain("maxAttempts: 3 → 5");
  });

  it("reports a changed action (another command) and the saga's own timeout", () => {
    const before = compile(validDefinition());
    const changed = validDefinition();
    changed.version = 2;
    changed.timeout = "2h";
    const after = compile(changed);
    const step = after.steps[3] as Loose;
    step.action = { ...step.action, command: "ApproveOrderV2" };
    const changes = diffSagas(before, after);
    expect(changes.map((c) => [c.code, c.path])).toEqual([
      ["SAGA_STEP_ACTION_CHANGED", ["steps", 3, "command"]],
      ["SAGA_TIMEOUT_CHANGED", ["timeout"]],
    ]);
    expect(changes[0]?.message).toContain('"ApproveOrder" → "ApproveOrderV2"');
  });

  it("calls a narrowed input schema an error, at the narrowed keyword", () => {
    const changes = diffAfter((d) => {
      d.input.required.push("note");
      d.input.properties.note = { type: "string" };
      d.input.properties.totalCents = { type: "integer", minimum: 100 };
      d.input.properties.customerId = { type: "string", enum: ["c-1", "c-2"] };
      d.input.additionalProperties = false;
    });
    const narrowed = changes.filter((c) => c.code === "SAGA_INPUT_NARROWED");
    expect(narrowed.every((c) => c.severity === "error")).toBe(true);
    expect(narrowed.map((c) => c.path)).toEqual(
      expect.arrayContaining([
        ["input", "required"],
        ["input", "properties", "totalCents", "minimum"],
        ["input", "properties", "customerId", "enum"],
        ["input", "additionalProperties"],
      ]),
    );
    expect(narrowed.find((c) => c.path.at(-1) === "required")?.message).toContain('"note"');
  });

  it("finds removed properties, narrowed types and narrowed enums", () => {
    const before = validDefinition();
    before.input.properties.channel = { type: ["string", "null"], enum: ["web", "shop", null] };
    before.input.properties.ratio = { type: "number" };
    before.input.additionalProperties = false;
    const after = structuredClone(before);
    after.version = 2;
    after.input.properties.channel = { type: "string", enum: ["web"] };
    after.input.properties.ratio = { type: "integer" };
    delete after.input.properties.items;
    after.input.required = ["customerId", "totalCents"];
    after.steps[1].payload.items = [];
    const narrowed = diffSagas(compile(before), compile(after))
      .filter((c) => c.code === "SAGA_INPUT_NARROWED")
      .map((c) => c.message);
    expect(narrowed.join("\n")).toMatch(/type narrowed from string\|null to string: null/);
    expect(narrowed.join("\n")).toMatch(/enum narrowed: "shop", null/);
    expect(narrowed.join("\n")).toMatch(/type narrowed from number to integer/);
    expect(narrowed.join("\n")).toMatch(/property "items" removed/);
  });

  it("calls a widened input schema a note", () => {
    const changes = diffAfter((d) => {
      d.input.required = ["customerId", "items"];
      d.steps[1].payload.totalCents = 0;
    });
    expect(changes).toContainEqual(
      expect.objectContaining({ code: "SAGA_INPUT_CHANGED", severity: "note", path: ["input"] }),
    );
  });

  it("compares a step field no aspect knows yet, so a new feature never changes unseen", () => {
    const before = compile(validDefinition());
    const after = structuredClone(before);
    after.version = 2;
    Object.assign(after.steps[2] as object, { when: { path: "$.input.totalCents", gt: 1 } });
    expect(diffSagas(before, after)).toEqual([
      expect.objectContaining({ code: "SAGA_STEP_CHANGED", path: ["steps", 2, "when"] }),
    ]);
  });
});

describe("contracts under a version that may still have sagas in flight", () => {
  // Today's contracts with one change, as a team would make it in @sagaworks/contracts.
  function contractsWithout(service: string, command: string): ContractRegistry {
    const copy = { ...serviceContracts } as Loose;
    const commands = { ...copy[service].commands };
    delete commands[command];
    copy[service] = { ...copy[service], commands };
    return copy;
  }

  it("is an error when a compensation's command was removed, shown at that step in the new file", () => {
    const old = validDefinition();
    const current = validDefinition();
    current.version = 2;
    current.steps.splice(0, 1); // the new file moves create-order to position 0
    current.steps[0].payload.customerId = "$.input.customerId";
    delete current.steps[0].compensation;
    current.steps[0].readOnly = true;
    const changes = inFlightContractChanges(
      old,
      compile(old),
      compile(current),
      contractsWithout("order", "RejectOrder"),
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      code: "SAGA_CONTRACT_BREAKS_IN_FLIGHT",
      severity: "error",
      step: "create-order",
      path: ["steps", 0, "compensation", "command"],
    });
    expect(changes[0]?.message).toContain("SAGA_COMMAND_UNKNOWN");
    expect(changes[0]?.message).toContain("create-order v1 may still have sagas in flight");
  });

  it("is an error when a payload schema changed incompatibly", () => {
    const old = validDefinition();
    const contracts = { ...serviceContracts } as Loose;
    const reserve = contracts.account.commands.ReserveCredit;
    contracts.account = {
      ...contracts.account,
      commands: {
        ...contracts.account.commands,
        ReserveCredit: {
          ...reserve,
          payload: reserve.payload.extend({ currency: reserve.payload.shape.orderId }),
        },
      },
    };
    const changes = inFlightContractChanges(old, compile(old), undefined, contracts);
    expect(changes.map((c) => c.message).join("\n")).toContain("SAGA_PAYLOAD_FIELD_MISSING");
    expect(changes[0]?.path).toEqual([]);
  });

  it("finds nothing when today's contracts still fit the old version", () => {
    const old = validDefinition();
    expect(inFlightContractChanges(old, compile(old), compile(old), serviceContracts)).toEqual([]);
  });
});

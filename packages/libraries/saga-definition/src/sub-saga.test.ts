// Sub-sagas in the definition: the shipped parent compiles against its children, and each broken
// variant is reported at the file, line and column of what is wrong, with its own code, through
// the same loader `saga validate` and the orchestrator's start-up run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { afterEach, describe, expect, it } from "vitest";
import { renderMermaid } from "./diagram.ts";
import { DiagnosticCode as C } from "./errors.ts";
import { checkDefinitionFiles } from "./files/definition-files.ts";
import type { FileProblem } from "./files/file-problem.ts";
import { compilationOrder } from "./sub-saga/saga-catalog.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests edit the authored JSON freely
type Json = any;

const shipped = (name: string): Json =>
  JSON.parse(readFileSync(join(sagaDefinitionsDir, `${name}.saga.json`), "utf8"));

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Writes the definitions (pretty-printed, as authors write them) into a fresh folder and loads it. */
async function load(definitions: Json[]) {
  const folder = mkdtempSync(join(tmpdir(), "sub-saga-"));
  folders.push(folder);
  const texts = new Map<string, string>();
  for (const definition of definitions) {
    const text = `${JSON.stringify(definition, null, 2)}\n`;
    texts.set(`${definition.name}.saga.json`, text);
    writeFileSync(join(folder, `${definition.name}.saga.json`), text);
  }
  const checked = await checkDefinitionFiles([folder], {
    contracts: serviceContracts,
    display: (file) => file.slice(folder.length + 1),
  });
  return { ...checked, texts };
}

/** The line and column of the key that starts the first line holding `needle` (after `after`). */
function keyAt(text: string, needle: string, after?: string): { line: number; column: number } {
  const lines = text.split("\n");
  const from = after === undefined ? 0 : lines.findIndex((candidate) => candidate.includes(after));
  const line = lines.findIndex((candidate, index) => index > from && candidate.includes(needle));
  expect(line, `no line holds ${needle}`).toBeGreaterThanOrEqual(0);
  const column = (lines[line] as string).indexOf('"') + 1;
  return { line: line + 1, column };
}

function expectReported(
  problems: readonly FileProblem[],
  texts: Map<string, string>,
  expected: { file: string; code: string; at: string; after?: string },
): FileProblem {
  const text = texts.get(expected.file) as string;
  const found = problems.find(
    (problem) => problem.file === expected.file && problem.code === expected.code,
  );
  expect(
    found,
    `${expected.code} in ${expected.file}; got ${problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.code}`).join(", ")}`,
  ).toBeDefined();
  expect({ line: found?.line, column: found?.column }).toEqual(
    keyAt(text, expected.at, expected.after),
  );
  expect(found?.message.length).toBeGreaterThan(40);
  return found as FileProblem;
}

const family = () => [
  shipped("create-order"),
  shipped("hold-credit"),
  shipped("order-with-deposit"),
];

const PARENT_FILE = "order-with-deposit.saga.json";

/**
 * Loads the shipped family after `edit` has changed it: the problems, and `reported`, which checks
 * that a problem with a code is reported in a file (the parent's unless named) at a key.
 */
async function loadEdited(edit: (definitions: Json[]) => void) {
  const definitions = family();
  edit(definitions);
  const { problems, texts } = await load(definitions);
  const reported = (expected: { code: string; at: string; file?: string; after?: string }) =>
    expectReported(problems, texts, { file: PARENT_FILE, ...expected });
  return { problems, reported };
}

/** Makes the parent's place-order step (the child create-order's) no longer the pivot. */
function movePivotPastPlaceOrder(definitions: Json[]): void {
  delete definitions[2].steps[1].pivot;
  definitions[2].steps[2].pivot = true;
  definitions[2].steps[2].retry = { maxAttempts: 3 };
}

describe("a sub-saga step in the definition", () => {
  it("compiles the shipped parent against its children: one attempt, the deadline as timeout, the child's output typed", async () => {
    const { problems, results } = await load(family());
    expect(problems).toEqual([]);
    const parent = results.find((result) => result.saga?.name === "order-with-deposit")?.saga;
    const hold = parent?.steps.find((step) => step.name === "hold-deposit");
    expect(hold).toMatchObject({
      service: "sagas",
      role: "compensatable",
      action: { kind: "saga", saga: { name: "hold-credit", version: 1 } },
      outcomes: { success: ["SagaCompleted"], businessFailure: ["SagaCompensated", "SagaFailed"] },
      compensation: { kind: "child", command: "CompensateSaga", success: ["SagaCompensated"] },
      retry: { maxAttempts: 1 },
      timeoutMs: 30 * 60_000,
    });
    expect(parent?.pivot).toBe("place-order");
    expect(parent?.states["step:place-order"]).toMatchObject({
      onSuccess: "step:return-deposit",
      onFailure: "compensate:hold-deposit",
      onExhausted: "needs-intervention",
    });
    const child = results.find((result) => result.saga?.name === "hold-credit")?.saga;
    expect(child?.pivot).toBeNull();
    expect(child?.output?.schema).toMatchObject({
      type: "object",
      properties: { reference: { type: "string" }, heldCents: { type: "integer" } },
      required: ["reference", "heldCents"],
    });
  });

  it("draws the child, its deadline and how undoing it asks the child", async () => {
    const { results } = await load(family());
    const parent = results.find((result) => result.saga?.name === "order-with-deposit")?.saga;
    const diagram = renderMermaid(parent as NonNullable<typeof parent>);
    expect(diagram).toContain("starts saga hold-credit v1<br/>deadline 30m");
    expect(diagram).toContain("undo hold-deposit<br/>ask hold-credit to compensate");
    expect(diagram).toContain("deadline 2h passed, child still running");
    expect(diagram).toMatch(/class .*step_hold_deposit.* child/);
  });

  it("reports a child saga that does not exist at its name", async () => {
    const { reported } = await loadEdited((definitions) => {
      definitions[2].steps[0].saga.name = "hold-cash";
    });
    reported({ code: C.subSagaUnknown, at: '"name": "hold-cash"' });
  });

  it("reports a version the child's definition does not declare", async () => {
    const { reported } = await loadEdited((definitions) => {
      definitions[2].steps[0].saga.version = 7;
    });
    reported({ code: C.subSagaVersionUnknown, at: '"version": 7' });
  });

  it("checks the input against the child's input schema: a wrong type, a missing and an unknown field", async () => {
    const { problems, reported } = await loadEdited((definitions) => {
      const input = definitions[2].steps[0].input;
      input.amountCents = "$.input.customerId";
      delete input.reference;
      input.currency = "EUR";
    });
    reported({ code: C.payloadTypeMismatch, at: '"amountCents": "$.input.customerId"' });
    expect(
      problems.some((p) => p.code === C.payloadFieldMissing && p.message.includes("reference")),
    ).toBe(true);
    reported({ code: C.payloadFieldUnknown, at: '"currency": "EUR"' });
  });

  it("lets later steps read only the output the child declares", async () => {
    const { reported } = await loadEdited((definitions) => {
      // create-order declares no output; hold-credit declares reference and heldCents.
      definitions[2].steps[2].payload.orderId = "$.steps.place-order.output.orderId";
      definitions[2].steps[2].payload.amountCents = "$.steps.hold-deposit.output.amount";
    });
    reported({
      code: C.subSagaOutputUndeclared,
      at: '"orderId": "$.steps.place-order.output.orderId"',
    });
    reported({
      code: C.pathNotInSchema,
      at: '"amountCents": "$.steps.hold-deposit.output.amount"',
    });
  });

  it("reads a sub-saga step as .output, not .reply", async () => {
    const { reported } = await loadEdited((definitions) => {
      definitions[2].steps[2].payload.orderId = "$.steps.hold-deposit.reply.reference";
    });
    reported({ code: C.pathStepAccessor, at: '"orderId": "$.steps.hold-deposit.reply.reference"' });
  });

  it("refuses a cycle of sagas, in every file on it", async () => {
    const { reported } = await loadEdited((definitions) => {
      // hold-credit now starts order-with-deposit, which starts hold-credit.
      definitions[1].steps.splice(1, 0, {
        name: "nested",
        kind: "saga",
        saga: { name: "order-with-deposit", version: 1 },
        input: { customerId: "$.input.customerId", items: [], totalCents: 0, depositCents: 0 },
        deadline: "10m",
        compensation: "child",
      });
    });
    const here = reported({ code: C.subSagaCycle, at: '"name": "hold-credit"' });
    expect(here.message).toContain("order-with-deposit → hold-credit → order-with-deposit");
    reported({
      file: "hold-credit.saga.json",
      code: C.subSagaCycle,
      at: '"name": "order-with-deposit"',
    });
  });

  it("refuses nesting deeper than three levels", async () => {
    const { problems, reported } = await loadEdited((definitions) => {
      // level-1 → order-with-deposit → hold-credit is three levels; level-2 above it makes four.
      const starter = (name: string, child: string, input: Json) => ({
        $schema: "./saga-definition.schema.json",
        name,
        version: 1,
        description: `Starts ${child}.`,
        input: definitions[2].input,
        steps: [
          { name: "run", kind: "saga", saga: { name: child, version: 1 }, input, deadline: "3h" },
        ],
      });
      const parentInput = {
        customerId: "$.input.customerId",
        items: "$.input.items",
        totalCents: "$.input.totalCents",
        depositCents: "$.input.depositCents",
      };
      definitions.push(starter("level-one", "order-with-deposit", parentInput));
      definitions.push(starter("level-two", "level-one", parentInput));
    });
    expect(problems.filter((p) => p.file === "level-one.saga.json")).toEqual([]);
    reported({
      file: "level-two.saga.json",
      code: C.subSagaNestingTooDeep,
      at: '"name": "level-one"',
    });
  });

  it('refuses compensation "child" when the child has a pivot', async () => {
    const { reported } = await loadEdited((definitions) => {
      // create-order has a pivot (reserve-credit): past it, asking it to compensate undoes nothing.
      definitions[2].steps[1].compensation = "child";
      movePivotPastPlaceOrder(definitions);
    });
    reported({
      code: C.subSagaCompensateByChildWithPivot,
      at: '"compensation": "child"',
      after: '"name": "place-order"',
    });
  });

  it("accepts an explicit compensation of a child with a pivot, checked against its service's contract", async () => {
    const { problems, reported } = await loadEdited((definitions) => {
      definitions[2].steps[1].compensation = {
        service: "order",
        command: "CancelOrder",
        payload: { orderId: "$.steps.place-order.output.orderId" },
      };
      movePivotPastPlaceOrder(definitions);
    });
    // create-order declares no output, so even its own compensation cannot read one.
    reported({
      code: C.subSagaOutputUndeclared,
      at: '"orderId": "$.steps.place-order.output.orderId"',
    });
    expect(problems.some((p) => p.code === C.subSagaCompensateByChildWithPivot)).toBe(false);
  });
});

describe("the order sagas are compiled in", () => {
  it("puts children before parents and names each cycle from its member's side", () => {
    const { order, cycles } = compilationOrder(
      new Map([
        ["a", ["b"]],
        ["b", ["c"]],
        ["c", []],
        ["x", ["y"]],
        ["y", ["x"]],
      ]),
    );
    expect(order.indexOf("c")).toBeLessThan(order.indexOf("b"));
    expect(order.indexOf("b")).toBeLessThan(order.indexOf("a"));
    expect(cycles.get("x")).toEqual(["x", "y", "x"]);
    expect(cycles.get("y")).toEqual(["y", "x", "y"]);
    expect(cycles.has("a")).toBe(false);
  });
});

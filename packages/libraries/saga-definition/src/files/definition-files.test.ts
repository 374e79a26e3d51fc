// The shared definition loader (what `saga validate` and the orchestrator's start-up both run):
// issue 9's points 1 (deep nesting), 2 and 3 (input schemas as JSON Schema, one draft), 5
// (prototype keys) and 6 (duplicate names located).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { describe, expect, it } from "vitest";
import { compileSaga } from "../compile.ts";
import { compileInputSchema, compileInputSchemaOrThrow } from "../input-schema.ts";
import { evaluateMapping } from "../mapping.ts";
import { MAX_NESTING_DEPTH } from "../value-guard.ts";
import {
  checkDefinitionText,
  collectDefinitionFiles,
  crossFileProblems,
} from "./definition-files.ts";

const createOrderText = readFileSync(join(sagaDefinitionsDir, "create-order.saga.json"), "utf8");
const options = { contracts: serviceContracts, fileName: "create-order.saga.json" };

// biome-ignore lint/suspicious/noExplicitAny: tests edit definition JSON freely, like an author.
function edited(change: (value: any) => void): string {
  const value = JSON.parse(createOrderText);
  change(value);
  return JSON.stringify(value, null, 2);
}

function lineOf(text: string, needle: string): number {
  const offset = text.indexOf(needle);
  expect(offset).toBeGreaterThanOrEqual(0);
  return text.slice(0, offset).split("\n").length;
}

describe("deep nesting (issue 9 point 1)", () => {
  it("reports a value nested thousands of levels deep as a located problem instead of overflowing the stack", () => {
    for (const depth of [1_200, 1_500, 20_000]) {
      const deep = `${"[".repeat(depth)}1${"]".repeat(depth)}`;
      const text = createOrderText.replace(
        '"Places an order',
        () => `"x", "extra": ${deep}, "y": "`,
      );
      const result = checkDefinitionText(text, "create-order.saga.json", options);
      expect(result.saga).toBeUndefined();
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ code: "SAGA_NESTING_TOO_DEEP" });
      expect(result.problems[0]?.line).toBe(lineOf(text, '"extra"'));
    }
  });

  it("reports deep nesting in an already parsed value passed to compileSaga, with its path", () => {
    let deep: unknown = 1;
    for (let level = 0; level < 5_000; level++) deep = { a: deep };
    const definition = JSON.parse(createOrderText);
    definition.steps[1].payload.deep = deep;
    const result = compileSaga(definition, { contracts: serviceContracts });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]?.code).toBe("SAGA_NESTING_TOO_DEEP");
    expect(result.diagnostics[0]?.path.slice(0, 5)).toEqual(["steps", 1, "payload", "deep", "a"]);
    expect(result.diagnostics[0]?.path).toHaveLength(MAX_NESTING_DEPTH);
  });

  it("accepts nesting up to the limit", () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let level = 0; level < 20; level++) schema = { type: "array", items: schema };
    const text = edited((value) => {
      value.input.properties.tags = schema;
    });
    expect(checkDefinitionText(text, "create-order.saga.json", options).problems).toEqual([]);
  });
});

describe("input schemas are checked as JSON Schema (issue 9 point 2)", () => {
  const cases = [
    ["an invalid regular expression", { type: "string", pattern: "(" }, '"pattern"'],
    ["an unresolvable $ref", { $ref: "#/definitions/nowhere" }, '"$ref"'],
    ["a misspelt type", { type: "strin" }, '"strin"'],
  ] as const;
  for (const [what, property, needle] of cases) {
    it(`refuses ${what} in the input schema at its line, as the orchestrator would`, () => {
      const text = edited((value) => {
        value.input.properties.note = property;
      });
      const result = checkDefinitionText(text, "create-order.saga.json", options);
      expect(result.saga).toBeUndefined();
      expect(result.problems.map((p) => p.code)).toEqual(["SAGA_INPUT_SCHEMA_INVALID"]);
      const problem = result.problems[0];
      expect(problem?.path.slice(0, 3)).toEqual(["input", "properties", "note"]);
      expect(problem?.line).toBe(lineOf(text, needle));
      // The same schema is what the orchestrator's start-up compiles: it throws, naming the saga.
      const input = JSON.parse(text).input;
      expect(() => compileInputSchemaOrThrow(input, "create-order")).toThrow(/create-order/);
    });
  }
});

describe("one JSON Schema draft for input schemas (issue 9 point 3)", () => {
  it("reads input schemas as draft-07 by default, so a tuple `items` array validates and compiles", () => {
    const text = edited((value) => {
      value.input.properties.point = {
        type: "array",
        items: [{ type: "number" }, { type: "number" }],
        additionalItems: false,
      };
    });
    const result = checkDefinitionText(text, "create-order.saga.json", options);
    expect(result.problems).toEqual([]);
    const compiled = compileInputSchema(JSON.parse(text).input);
    expect(compiled.ok && compiled.draft).toBe("draft-07");
    if (!compiled.ok) return;
    const items = [{ sku: "a", quantity: 1, unitPriceCents: 1 }];
    const input = { customerId: "c", items, totalCents: 1, point: [1, 2] };
    expect(compiled.validate(input)).toBe(true);
    expect(compiled.validate({ ...input, point: [1, "x"] })).toBe(false);
  });

  it("honours a $schema inside the input schema (2020-12 prefixItems)", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { point: { type: "array", prefixItems: [{ type: "number" }], items: false } },
    };
    const compiled = compileInputSchema(schema);
    expect(compiled.ok && compiled.draft).toBe("2020-12");
    if (!compiled.ok) return;
    expect(compiled.validate({ point: [1] })).toBe(true);
    expect(compiled.validate({ point: [1, 2] })).toBe(false);
  });

  it("refuses an unknown $schema at its line", () => {
    const text = edited((value) => {
      value.input.$schema = "http://json-schema.org/draft-04/schema#";
    });
    const result = checkDefinitionText(text, "create-order.saga.json", options);
    expect(result.problems).toMatchObject([
      {
        code: "SAGA_INPUT_SCHEMA_INVALID",
        path: ["input", "$schema"],
        line: lineOf(text, "draft-04"),
      },
    ]);
  });
});

describe("prototype keys (issue 9 point 5)", () => {
  it("refuses __proto__ as a payload key with a located problem", () => {
    const text = createOrderText.replace(
      '"orderId": "$.sagaId"',
      '"__proto__": { "x": "$.nope" }, "orderId": "$.sagaId"',
    );
    expect(text).not.toBe(createOrderText);
    const result = checkDefinitionText(text, "create-order.saga.json", options);
    expect(result.saga).toBeUndefined();
    expect(result.problems).toMatchObject([
      { code: "SAGA_KEY_RESERVED", line: lineOf(text, "__proto__") },
    ]);
    expect(result.problems[0]?.path.at(-1)).toBe("__proto__");
  });

  it("refuses __proto__, constructor and prototype keys in values parsed by JSON.parse", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const definition = JSON.parse(
        createOrderText.replace(
          '"type": "object",',
          `"type": "object", "${key}": { "polluted": true },`,
        ),
      );
      const result = compileSaga(definition, { contracts: serviceContracts });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.diagnostics).toMatchObject([
        { code: "SAGA_KEY_RESERVED", path: ["input", key] },
      ]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("never resolves a mapping path through the prototype chain", () => {
    const context = JSON.parse('{ "input": { "__proto__": { "polluted": true }, "id": "1" } }');
    expect(evaluateMapping({ ref: ["input", "constructor"] }, context)).toBeUndefined();
    expect(evaluateMapping({ ref: ["input", "toString"] }, context)).toBeUndefined();
    expect(evaluateMapping({ ref: ["input", "id"] }, context)).toBe("1");
    const built = evaluateMapping(
      { object: { __proto__: { ref: ["input", "__proto__"] } } as never },
      context,
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("duplicate saga names across files (issue 9 point 6)", () => {
  it("locates SAGA_NAME_DUPLICATE at the name line of the second file", () => {
    const second = `\n\n${createOrderText}`;
    const results = [
      checkDefinitionText(createOrderText, "a/create-order.saga.json", options),
      checkDefinitionText(second, "b/create-order.saga.json", options),
    ];
    expect(crossFileProblems(results)).toMatchObject([
      {
        code: "SAGA_NAME_DUPLICATE",
        file: "b/create-order.saga.json",
        line: lineOf(second, '"name"'),
        column: 3,
      },
    ]);
  });
});

describe("finding definition files", () => {
  it("looks in subfolders, but never in node_modules nor through a symlinked folder", async () => {
    const root = mkdtempSync(join(tmpdir(), "saga-files-"));
    try {
      mkdirSync(join(root, "billing"));
      mkdirSync(join(root, "node_modules", "dep"), { recursive: true });
      writeFileSync(join(root, "a.saga.json"), "{}");
      writeFileSync(join(root, "billing", "b.saga.json"), "{}");
      writeFileSync(join(root, "notes.json"), "{}");
      writeFileSync(join(root, "node_modules", "dep", "c.saga.json"), "{}");
      // A link back up, as a workspace's node_modules holds: following it would never end.
      symlinkSync(root, join(root, "node_modules", "loop"));
      symlinkSync(root, join(root, "billing", "up"));
      expect(await collectDefinitionFiles([root])).toEqual([
        join(root, "a.saga.json"),
        join(root, "billing", "b.saga.json"),
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

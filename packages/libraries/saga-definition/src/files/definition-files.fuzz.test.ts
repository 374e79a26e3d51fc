// Fuzz test of the shared loader (issue 9's "done when"): deep, wide, oversized and malformed
// definitions, prototype keys and random input schemas, built by mutating the shipped sagas.
// Whatever the text, checking it never throws; what it accepts the orchestrator's start-up
// accepts too (same loader, and the same input-schema compiler the API uses); every problem is
// located inside the file. Bounded by numRuns and by the sizes of the generated values.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileInputSchemaOrThrow } from "../input-schema.ts";
import { checkDefinitionText } from "./definition-files.ts";

const shipped = ["create-order", "cancel-order"].map((name) => ({
  name,
  text: readFileSync(join(sagaDefinitionsDir, `${name}.saga.json`), "utf8"),
}));

type Json = unknown;
type Path = Array<string | number>;

/** Every container path in a JSON value (iterative: the values here may be deep). */
function containerPaths(value: Json): Path[] {
  const out: Path[] = [];
  const stack: Array<{ value: Json; path: Path }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: Json; path: Path };
    if (typeof current !== "object" || current === null) continue;
    out.push(path);
    if (path.length > 12) continue;
    for (const [key, field] of Object.entries(current)) {
      stack.push({ value: field, path: [...path, /^\d+$/.test(key) ? Number(key) : key] });
    }
  }
  return out;
}

function at(value: Json, path: Path): Json {
  let current = value;
  for (const segment of path) current = (current as Record<string | number, Json>)[segment];
  return current;
}

function nested(depth: number, leaf: Json, asArray: boolean): Json {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = asArray ? [value] : { x: value };
  return value;
}

const reservedKey = fc.constantFrom("__proto__", "constructor", "prototype");

/** A value to put somewhere: deep, wide, big, a random JSON value, or a random JSON Schema. */
const payloadValue: fc.Arbitrary<Json> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 3_000 }), fc.boolean()).map(([d, a]) => nested(d, 1, a)),
  fc
    .integer({ min: 1, max: 2_000 })
    .map((width) => Object.fromEntries(Array.from({ length: width }, (_, i) => [`k${i}`, i]))),
  fc.integer({ min: 1, max: 300_000 }).map((size) => "x".repeat(size)),
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      type: fc.constantFrom("string", "strin", "object", "array", "integer", 5),
      pattern: fc.constantFrom("(", "^a+$", "[", "\\p{L}", "a{2,1}"),
      $ref: fc.constantFrom("#/definitions/nowhere", "#", "http://example.com/x"),
      items: fc.constantFrom([{ type: "number" }], { type: "string" }, false, "x"),
      format: fc.constantFrom("email", "date-time", "no-such-format"),
      $schema: fc.constantFrom(
        "https://json-schema.org/draft/2020-12/schema",
        "http://json-schema.org/draft-07/schema#",
        "nope",
      ),
    },
    { requiredKeys: [] },
  ),
);

/** One edit of a parsed definition, or of its text. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    pick: fc.nat(),
    key: fc.string({ maxLength: 12 }),
    value: payloadValue,
  }),
  fc.record({
    kind: fc.constant("reserved" as const),
    pick: fc.nat(),
    key: reservedKey,
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    kind: fc.constant("input" as const),
    key: fc.string({ maxLength: 12 }),
    value: payloadValue,
  }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat(), which: fc.nat() }),
  fc.record({
    kind: fc.constant("text" as const),
    position: fc.nat(),
    remove: fc.nat({ max: 4 }),
    insert: fc.constantFrom("", ",", "{", "]", '"', "\uFEFF", "\ud800", "//", "[[[[", ":"),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

// JSON round trip rather than structuredClone, which overflows the stack on the 3,000-level
// values this fuzz builds.
function copy(value: Json): Json {
  return JSON.parse(JSON.stringify(value));
}

function apply(text: string, edits: readonly Mutation[]): string {
  const value = JSON.parse(text);
  const textEdits: Array<{ position: number; remove: number; insert: string }> = [];
  for (const edit of edits) {
    if (edit.kind === "text") {
      textEdits.push(edit);
      continue;
    }
    if (edit.kind === "input") {
      // An earlier edit may have removed or replaced the input schema.
      const properties = value.input?.properties;
      if (typeof properties === "object" && properties !== null) {
        properties[edit.key] = copy(edit.value);
      }
      continue;
    }
    const paths = containerPaths(value);
    const target = at(value, paths[edit.pick % paths.length] as Path) as Record<string, Json>;
    if (edit.kind === "delete") {
      const keys = Object.keys(target);
      if (keys.length > 0) delete target[keys[edit.which % keys.length] as string];
    } else {
      // defineProperty: an own "__proto__" key, exactly what JSON.parse would produce.
      // A copy: constantFrom hands out the same object every time, and a later edit inside a
      // shared one would make the definition contain itself (and change the constant).
      Object.defineProperty(target, edit.key, {
        value: copy(edit.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  let out = JSON.stringify(value, null, 2);
  for (const edit of textEdits) {
    const position = edit.position % (out.length + 1);
    out = out.slice(0, position) + edit.insert + out.slice(position + edit.remove);
  }
  return out;
}

describe("fuzzing the definition loader", () => {
  it("never crashes, never accepts what the orchestrator refuses, and locates every problem", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...shipped),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (definition, edits) => {
          const text = apply(definition.text, edits);
          const file = `${definition.name}.saga.json`;
          const result = checkDefinitionText(text, file, { contracts: serviceContracts });
          const lines = text.split("\n").length;
          for (const problem of result.problems) {
            expect(problem.code).toMatch(/^SAGA_[A-Z_]+$/);
            expect(problem.file).toBe(file);
            expect(problem.line).toBeGreaterThanOrEqual(1);
            expect(problem.line).toBeLessThanOrEqual(lines);
            expect(problem.column).toBeGreaterThanOrEqual(1);
            expect(problem.pointer.startsWith("$")).toBe(true);
            expect(problem.message.length).toBeGreaterThan(10);
          }
          if (result.problems.length === 0) {
            const saga = result.saga;
            expect(saga).toBeDefined();
            if (!saga) return;
            // What the orchestrator does with an accepted definition at start-up.
            expect(() => compileInputSchemaOrThrow(saga.input, saga.name)).not.toThrow();
            expect(JSON.parse(JSON.stringify(saga))).toEqual(saga);
          } else {
            expect(
              result.saga === undefined ||
                result.problems.every((p) => p.code === "SAGA_FILE_NAME_MISMATCH"),
            ).toBe(true);
          }
          expect(({} as Record<string, unknown>).x).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serviceContracts } from "@sagaworks/contracts";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { describe, expect, it } from "vitest";
import { compileSaga, DEFAULT_COMPENSATION_RETRY, DEFAULT_STEP_RETRY } from "./compile.ts";
import { canonicalJson, contentHash } from "./content-hash.ts";
import { sagaDefinitionJsonSchema } from "./definition-schema.ts";
import { renderMermaid } from "./diagram.ts";
import { checkDefinitionFiles } from "./files/definition-files.ts";
import { catalogOf } from "./sub-saga/saga-catalog.ts";
import { expectValid, type Loose, validDefinition } from "./test-fixtures.ts";

// Golden files: UPDATE_GOLDEN=1 rewrites them; otherwise a difference fails the test and the
// change is reviewed in the diff of __golden__/. A saga without golden files yet (one just
// added) gets them written on its first run, with a message, so that the author reviews and
// commits them; in CI (CI=true) a missing golden file fails instead, since nobody would review it.
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const IN_CI = process.env.CI === "true" || process.env.CI === "1";
const UPDATE_COMMAND =
  "UPDATE_GOLDEN=1 node scripts/bootstrap.mjs test:unit packages/libraries/saga-definition";
// Both overridable so that the test of adding a saga can run this file on copies.
const goldenDir =
  process.env.SAGA_GOLDEN_DIR ?? fileURLToPath(new URL("./__golden__/", import.meta.url));
const definitionsDir = process.env.SAGA_DEFINITIONS_DIR ?? sagaDefinitionsDir;

function expectGolden(fileName: string, actual: string) {
  const file = join(goldenDir, fileName);
  if (UPDATE) {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    if (IN_CI) {
      throw new Error(
        `golden file ${fileName} is missing: run ${UPDATE_COMMAND}, review and commit ${file}`,
      );
    }
    writeFileSync(file, actual);
    process.stderr.write(
      `[golden] wrote ${file} for a saga that had none: review it and commit it with the saga\n`,
    );
    return;
  }
  expect(actual, `${fileName} differs; review, then ${UPDATE_COMMAND} to accept`).toBe(
    readFileSync(file, "utf8"),
  );
}

/**
 * The folder's sagas, compiled by the loader: a definition that starts sub-sagas is compiled
 * against them, as `saga validate` and the orchestrator do.
 */
const siblings = catalogOf(
  (await checkDefinitionFiles([definitionsDir], { contracts: serviceContracts })).results.flatMap(
    (result) => (result.saga ? [result.saga] : []),
  ),
);

/** Every definition file in the folder: a saga added there is covered without editing this test. */
const shipped = readdirSync(definitionsDir)
  .filter((file) => file.endsWith(".saga.json"))
  .sort();

describe("shipped sagas (golden files)", () => {
  it("finds the saga definitions", () => {
    expect(shipped.length).toBeGreaterThan(0);
  });

  it.each(shipped)("%s compiles to its golden JSON and diagram", (file) => {
    const definition: unknown = JSON.parse(readFileSync(join(definitionsDir, file), "utf8"));
    const result = compileSaga(definition, { contracts: serviceContracts, sagas: siblings });
    expect(result.diagnostics).toEqual([]);
    if (!result.ok) return;
    const name = file.replace(/\.saga\.json$/, "");
    expectGolden(`${name}.golden.json`, `${JSON.stringify(result.saga, null, 2)}\n`);
    expectGolden(`${name}.golden.mmd`, renderMermaid(result.saga));
  });

  // A file that uses no newer feature must keep its hash across engine upgrades: a running
  // orchestrator refuses the same name and version with a different hash at start-up.
  it.each([
    [
      "cancel-order.saga.json",
      "sha256:609c23ebcc8ac4ab33f6da4e2d994a81f8d016264d2ee65ac8a4dc146a859116",
    ],
    [
      "create-order.saga.json",
      "sha256:ea17610c7661c0527e8c69c99bf33e791bf65291a4b6e321422ab2002ec757de",
    ],
  ])("%s keeps its content hash", (file, hash) => {
    const definition: unknown = JSON.parse(readFileSync(join(definitionsDir, file), "utf8"));
    const result = compileSaga(definition, { contracts: serviceContracts });
    if (!result.ok) throw new Error("does not compile");
    expect(result.saga.hash).toBe(hash);
  });

  it.each(shipped)("the README shows the diagram of %s", (file) => {
    const definition: unknown = JSON.parse(readFileSync(join(definitionsDir, file), "utf8"));
    const result = compileSaga(definition, { contracts: serviceContracts, sagas: siblings });
    if (!result.ok) throw new Error("does not compile");
    const readme = readFileSync(join(definitionsDir, "README.md"), "utf8");
    expect(
      readme,
      `saga-definitions/README.md lacks the current diagram of ${file}: paste the output of \`node scripts/bootstrap.mjs saga graph saga-definitions/${file}\` in a \`\`\`mermaid block under "Shipped sagas"`,
    ).toContain(`\`\`\`mermaid\n${renderMermaid(result.saga)}\`\`\``);
  });

  it("the JSON Schema file next to them is up to date (run `node scripts/bootstrap.mjs saga schema --out saga-definitions/saga-definition.schema.json`)", () => {
    const file = JSON.parse(
      readFileSync(join(definitionsDir, "saga-definition.schema.json"), "utf8"),
    );
    expect(file).toEqual(sagaDefinitionJsonSchema());
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).reverse();
  return Object.fromEntries(entries.map(([key, field]) => [key, reverseKeys(field)]));
}

describe("content hash", () => {
  it("does not change with key order or whitespace", () => {
    const original = expectValid(validDefinition());
    const reordered = expectValid(reverseKeys(validDefinition()));
    const reformatted = expectValid(JSON.parse(JSON.stringify(validDefinition(), null, 7)));
    expect(reordered.hash).toBe(original.hash);
    expect(reformatted.hash).toBe(original.hash);
    expect(original.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("changes with content, and covers everything but itself", () => {
    const original = expectValid(validDefinition());
    const changed = validDefinition();
    changed.steps[1].timeout = "31s";
    expect(expectValid(changed).hash).not.toBe(original.hash);
    const { hash, ...rest } = original;
    expect(contentHash(rest)).toBe(hash);
  });

  it("canonical JSON sorts keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}',
    );
  });
});

describe("compiled machine", () => {
  const saga = expectValid(validDefinition());

  it("applies defaults (input type vs compiled type)", () => {
    const createOrder = saga.steps[1];
    expect(createOrder?.retry).toEqual(DEFAULT_STEP_RETRY);
    expect(createOrder?.timeoutMs).toBe(30_000);
    expect(createOrder?.compensation?.retry).toEqual(DEFAULT_COMPENSATION_RETRY);
    expect(saga.steps[0]?.timeoutMs).toBe(5_000);
    expect(saga.steps[3]?.retry.maxAttempts).toBeNull();
    expect(saga.timeoutMs).toBe(3_600_000);
  });

  it("marks roles and pre-parses mappings", () => {
    expect(saga.steps.map((step) => step.role)).toEqual([
      "read-only",
      "compensatable",
      "pivot",
      "retriable",
    ]);
    expect(saga.pivot).toBe("reserve-credit");
    expect(saga.steps[1]?.action).toMatchObject({
      kind: "command",
      command: "CreateOrder",
      payload: { object: { orderId: { ref: ["sagaId"] } } },
    });
  });

  it("has the forward path, failure edges and the compensation chain", () => {
    expect(saga.initial).toBe("step:verify-customer");
    expect(saga.states["step:verify-customer"]).toEqual({
      type: "step",
      step: "verify-customer",
      onSuccess: "step:create-order",
      onFailure: "failed",
      onExhausted: "failed",
    });
    expect(saga.states["step:create-order"]).toMatchObject({
      onFailure: "failed",
      onExhausted: "compensate:create-order",
    });
    expect(saga.states["step:reserve-credit"]).toMatchObject({
      onSuccess: "step:approve-order",
      onFailure: "compensate:create-order",
      // The pivot's outcome is unknown after its retries: it may still apply, and nothing undoes it.
      onExhausted: "needs-intervention",
    });
    expect(saga.states["step:approve-order"]).toMatchObject({
      onSuccess: "completed",
      onFailure: "needs-intervention",
    });
    expect(saga.states["compensate:create-order"]).toEqual({
      type: "compensation",
      step: "create-order",
      onSuccess: "compensated",
      onExhausted: "needs-intervention",
    });
  });

  it("chains compensations in reverse order", () => {
    const definition: Loose = validDefinition();
    const second = structuredClone(definition.steps[1]);
    second.name = "create-order-copy";
    definition.steps.splice(2, 0, second);
    const chained = expectValid(definition);
    expect(chained.states["step:reserve-credit"]).toMatchObject({
      onFailure: "compensate:create-order-copy",
    });
    expect(chained.states["compensate:create-order-copy"]).toMatchObject({
      onSuccess: "compensate:create-order",
    });
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(saga))).toEqual(saga);
  });
});

describe("diagram", () => {
  it("highlights the pivot and draws the compensation chain", () => {
    const text = renderMermaid(expectValid(validDefinition()));
    expect(text.startsWith("stateDiagram-v2\n")).toBe(true);
    expect(text).toContain("class step_reserve_credit pivot");
    expect(text).toContain("note right of step_reserve_credit");
    expect(text).toContain(
      "step_reserve_credit --> compensate_create_order: CreditLimitExceeded | non-retryable",
    );
    expect(text).toContain("step_reserve_credit --> needs_intervention: exhausted | timeout");
    expect(text).toContain("compensate_create_order --> compensated: undone");
    expect(text).toContain("[*] --> step_verify_customer");
    // Paths read as the definition writes them (issue 9 point 10); Mermaid takes a colon inside
    // a quoted state name.
    expect(text).toContain("customer ← GET /customers/:id");
  });

  it("has no pivot note when the saga has no pivot", () => {
    const definition: Loose = validDefinition();
    definition.steps.splice(2, 2);
    expect(renderMermaid(expectValid(definition))).not.toContain("note right of");
  });
});

/** A deep copy with every object's keys in Postgres jsonb order (shorter keys first, then bytes). */
function asJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asJsonb);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value).sort(
    (a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0),
  );
  return Object.fromEntries(
    keys.map((key) => [key, asJsonb((value as Record<string, unknown>)[key])]),
  );
}

describe("diagram from a stored compiled saga (issue 9 point 7)", () => {
  it("renders the same Mermaid text whatever the key order of the compiled saga, as jsonb returns it", () => {
    const saga = expectValid(validDefinition());
    const stored = asJsonb(saga) as typeof saga;
    expect(Object.keys(stored.states)).not.toEqual(Object.keys(saga.states));
    expect(renderMermaid(stored)).toBe(renderMermaid(saga));
    const reversed = { ...saga, states: Object.fromEntries(Object.entries(saga.states).reverse()) };
    expect(renderMermaid(reversed)).toBe(renderMermaid(saga));
  });
});

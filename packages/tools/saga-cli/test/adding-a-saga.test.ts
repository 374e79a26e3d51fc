// Adding a saga as saga-definitions/README.md says, on copies of the definitions folder and the
// golden files: a new file that validates, with its diagram pasted in the README, passes the
// tests that cover every definition, and its golden files are written on that first run.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { reserveCreditStep } from "@sagaworks/saga-definition/testing";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const cli = join(repoRoot, "packages/tools/saga-cli/src/cli.ts");

/** A saga that only uses commands the shipped services already have. */
const holdCredit = {
  $schema: "./saga-definition.schema.json",
  name: "reserve-for-order",
  version: 1,
  description: "Reserves credit for an order id: one command, the pivot.",
  input: {
    type: "object",
    properties: {
      customerId: { type: "string", minLength: 1 },
      orderId: { type: "string", minLength: 1 },
      amountCents: { type: "integer", minimum: 1 },
    },
    required: ["customerId", "orderId", "amountCents"],
    additionalProperties: false,
  },
  timeout: "1h",
  steps: [
    reserveCreditStep(
      { pivot: true, retry: { maxAttempts: 3 }, timeout: "30s" },
      "$.input.amountCents",
      "$.input.orderId",
    ),
  ],
};

function node(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, args, {
    cwd: repoRoot,
    encoding: "utf8",
    env,
    timeout: 240_000,
  });
}

describe("adding a saga", () => {
  it("a new definition that validates, with its diagram in the README, passes the definition tests", () => {
    const temp = mkdtempSync(join(tmpdir(), "adding-a-saga-"));
    const definitions = join(temp, "saga-definitions");
    const golden = join(temp, "golden");
    cpSync(join(repoRoot, "saga-definitions"), definitions, { recursive: true });
    cpSync(join(repoRoot, "packages/libraries/saga-definition/src/__golden__"), golden, {
      recursive: true,
    });
    const file = join(definitions, "reserve-for-order.saga.json");
    writeFileSync(file, `${JSON.stringify(holdCredit, null, 2)}\n`);

    // Step 5 of the README: validate, then paste the diagram.
    const validate = node([cli, "validate", definitions]);
    expect(validate.status, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout).toContain("reserve-for-order v1");
    const graph = node([cli, "graph", file]);
    expect(graph.status, graph.stderr).toBe(0);
    appendFileSync(
      join(definitions, "README.md"),
      `\n### reserve-for-order\n\n\`\`\`mermaid\n${graph.stdout}\`\`\`\n`,
    );

    // The unit tests that read every definition, run on the copies as the suite runs them.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith("VITEST") && key !== "CI") env[key] = value;
    }
    const tests = node(
      [
        join(repoRoot, "node_modules/vitest/vitest.mjs"),
        "run",
        "--reporter=verbose",
        "--project",
        "unit",
        "packages/libraries/saga-definition/src/compile.test.ts",
        "packages/tools/saga-cli/src/cli.test.ts",
      ],
      { ...env, SAGA_DEFINITIONS_DIR: definitions, SAGA_GOLDEN_DIR: golden },
    );
    expect(tests.status, tests.stdout + tests.stderr).toBe(0);
    expect(tests.stdout).toContain(
      "reserve-for-order.saga.json compiles to its golden JSON and diagram",
    );
    for (const name of ["reserve-for-order.golden.json", "reserve-for-order.golden.mmd"]) {
      expect(existsSync(join(golden, name))).toBe(true);
      expect(tests.stderr).toContain(`[golden] wrote ${join(golden, name)}`);
    }
  }, 300_000);
});

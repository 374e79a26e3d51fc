// Every definition in this folder, explored: each combination of the outcomes of its steps is
// played through the engine (@sagaworks/saga-engine/testing), and no path may end badly,
// compensate a step that never ran, or compensate past the pivot. A new *.saga.json file here is
// explored without touching this test; give it a sample input below (or in `examples`) when the
// generated one does not fit its schema.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serviceContracts } from "@sagaworks/contracts";
import type { JsonValue } from "@sagaworks/saga-definition";
import { checkDefinitionFiles, DEFINITION_SUFFIX } from "@sagaworks/saga-definition/files";
import { assertCleanExploration, exploreSaga } from "@sagaworks/saga-engine/testing";
import { describe, expect, it } from "vitest";

const folder = fileURLToPath(new URL("./", import.meta.url));
const files = readdirSync(folder).filter((file) => file.endsWith(DEFINITION_SUFFIX));

/** Inputs of the shipped sagas; any other saga starts with `{}` unless one is added here. */
const examples: Record<string, JsonValue> = {
  "create-order": {
    customerId: "cust-1",
    items: [{ sku: "sku-1", quantity: 2, unitPriceCents: 750 }],
    totalCents: 1500,
  },
  "cancel-order": { orderId: "order-1", reason: "changed my mind" },
  "hold-credit": { customerId: "cust-1", reference: "deposit-1", amountCents: 500 },
  "order-with-deposit": {
    customerId: "cust-1",
    items: [{ sku: "sku-1", quantity: 2, unitPriceCents: 750 }],
    totalCents: 1500,
    depositCents: 500,
  },
  // Above the fraud-check threshold, so the conditional step is explored too.
  "pay-order": {
    customerId: "cust-1",
    paymentId: "pay-1",
    items: [{ sku: "sku-1", quantity: 1, unitPriceCents: 250000 }],
    totalCents: 250000,
  },
};

describe("every saga definition, explored", () => {
  it("finds the shipped definitions", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "create-order.saga.json",
        "cancel-order.saga.json",
        "pay-order.saga.json",
      ]),
    );
  });

  for (const file of files) {
    it(`${file}: every path ends completed, compensated or needing an operator, and compensates only what ran, never past the pivot`, async () => {
      // The whole folder, so a saga that starts others is compiled against them.
      const checked = await checkDefinitionFiles([folder], {
        contracts: serviceContracts,
        display: (path) => path.slice(folder.length),
      });
      const result = checked.results.find((candidate) => candidate.file === file);
      expect(result?.problems).toEqual([]);
      const saga = result?.saga;
      if (!saga) throw new Error(`${file} did not compile`);
      const report = exploreSaga(saga, { input: examples[saga.name] ?? {} });
      assertCleanExploration(report);
      expect(report.endings.completed).toBeGreaterThan(0);
    });
  }
});

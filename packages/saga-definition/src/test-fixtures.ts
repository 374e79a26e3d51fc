// Fixtures for this package's tests (not exported): a valid definition to mutate, and helpers
// that assert a problem's code and path.
import { serviceContracts } from "@sagaworks/contracts";
import { expect } from "vitest";
import { type CompileResult, compileSaga } from "./compile.ts";
import type { CompiledSaga } from "./compiled-saga.ts";
import type { Diagnostic, JsonPath } from "./errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are mutated freely, like hand-edited JSON.
export type Loose = any;

/** A valid definition (the shape of create-order), fresh on every call. */
export function validDefinition(): Loose {
  return {
    $schema: "./saga-definition.schema.json",
    name: "create-order",
    version: 1,
    description: "Places an order.",
    input: {
      type: "object",
      properties: {
        customerId: { type: "string" },
        items: {
          type: "array",
          items: {
            type: "object",
            properties: {
              sku: { type: "string" },
              quantity: { type: "integer" },
              unitPriceCents: { type: "integer" },
            },
            required: ["sku", "quantity", "unitPriceCents"],
          },
        },
        totalCents: { type: "integer" },
      },
      required: ["customerId", "items", "totalCents"],
    },
    timeout: "1h",
    steps: [
      {
        name: "verify-customer",
        kind: "http",
        service: "customer",
        request: { method: "GET", path: "/customers/:id", params: { id: "$.input.customerId" } },
        outcomes: { success: [200], businessFailure: [404] },
        readOnly: true,
        timeout: "5s",
      },
      {
        name: "create-order",
        kind: "command",
        service: "order",
        command: "CreateOrder",
        payload: {
          orderId: "$.sagaId",
          customerId: "$.steps.verify-customer.response.body.id",
          items: "$.input.items",
          totalCents: "$.input.totalCents",
        },
        outcomes: { success: ["OrderCreated"] },
        compensation: {
          command: "RejectOrder",
          payload: { orderId: "$.sagaId", reason: "$.failure.message" },
        },
      },
      {
        name: "reserve-credit",
        kind: "command",
        service: "account",
        command: "ReserveCredit",
        payload: {
          customerId: "$.input.customerId",
          orderId: "$.steps.create-order.reply.orderId",
          amountCents: "$.steps.create-order.reply.totalCents",
        },
        outcomes: { success: ["CreditReserved"], businessFailure: ["CreditLimitExceeded"] },
        pivot: true,
      },
      {
        name: "approve-order",
        kind: "command",
        service: "order",
        command: "ApproveOrder",
        payload: { orderId: "$.steps.create-order.reply.orderId" },
        outcomes: { success: ["OrderApproved"] },
        retry: { maxAttempts: "unlimited" },
      },
    ],
  };
}

/** Compiles against the shipped contracts. */
export function compile(definition: unknown): CompileResult {
  return compileSaga(definition, { contracts: serviceContracts });
}

/** Asserts the definition compiles and returns the compiled saga. */
export function expectValid(definition: unknown): CompiledSaga {
  const result = compile(definition);
  if (!result.ok) {
    throw new Error(
      `expected a valid definition, got:\n${JSON.stringify(result.diagnostics, null, 2)}`,
    );
  }
  return result.saga;
}

/** Asserts the definition fails with (at least) a problem of `code` at `path`. */
export function expectProblem(definition: unknown, code: string, path: JsonPath): Diagnostic {
  const result = compile(definition);
  expect(result.ok).toBe(false);
  const found = result.diagnostics.find(
    (diagnostic) =>
      diagnostic.code === code && JSON.stringify(diagnostic.path) === JSON.stringify(path),
  );
  if (!found) {
    throw new Error(
      `expected ${code} at ${JSON.stringify(path)}, got:\n${result.diagnostics
        .map((d) => `${d.code} ${JSON.stringify(d.path)} ${d.message}`)
        .join("\n")}`,
    );
  }
  expect(found.message.length).toBeGreaterThan(20);
  expect(found.pointer.startsWith("$")).toBe(true);
  return found;
}

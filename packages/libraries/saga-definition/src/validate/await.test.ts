// The validator's checks of await steps that the shipped saga's broken variants do not cover.
import { serviceContracts } from "@sagaworks/contracts";
import { describe, expect, it } from "vitest";
import { validateSaga } from "../compile.ts";

const base = (wait: Record<string, unknown>, pivotFirst = false) => ({
  name: "waits",
  version: 1,
  description: "waits for a payment",
  input: {
    type: "object",
    properties: { paymentId: { type: "string" }, amount: { type: "integer" } },
    required: ["paymentId", "amount"],
  },
  timeout: "3h",
  steps: [
    {
      name: "approve",
      kind: "command",
      service: "order",
      command: "ApproveOrder",
      payload: { orderId: "$.sagaId" },
      outcomes: { success: ["OrderApproved"] },
      ...(pivotFirst ? { pivot: true } : { readOnly: true }),
    },
    {
      name: "await-payment",
      kind: "await",
      service: "payment-provider",
      correlation: "$.input.paymentId",
      outcomes: { success: ["PaymentCaptured"] },
      deadline: { after: "2h", otherwise: "compensate" },
      ...wait,
    },
  ],
});
const codes = (definition: unknown) =>
  validateSaga(definition, { contracts: serviceContracts }).map((d) => `${d.code} ${d.pointer}`);

describe("await steps, validated", () => {
  it("accepts a well-formed wait", () => {
    expect(codes(base({}))).toEqual([]);
  });

  it("refuses a deadline that compensates after the pivot, and business failures there", () => {
    expect(
      codes(
        base(
          { outcomes: { success: ["PaymentCaptured"], businessFailure: ["PaymentDeclined"] } },
          true,
        ),
      ),
    ).toEqual([
      "SAGA_AWAIT_DEADLINE_COMPENSATES_AFTER_PIVOT $.steps[1].deadline.otherwise",
      "SAGA_RETRIABLE_STEP_HAS_BUSINESS_FAILURE $.steps[1].outcomes.businessFailure",
    ]);
    expect(
      codes(base({ deadline: { after: "2h", otherwise: "needs-intervention" } }, true)),
    ).toEqual([]);
  });

  it("refuses a literal key, a service that sends no events, and an event listed twice", () => {
    expect(codes(base({ correlation: "$$pay-1" }))).toEqual([
      "SAGA_FIELD_INVALID $.steps[1].correlation",
    ]);
    expect(codes(base({ service: "customer" }))).toEqual([
      "SAGA_SERVICE_TRANSPORT_UNSUPPORTED $.steps[1].service",
    ]);
    expect(
      codes(
        base({ outcomes: { success: ["PaymentCaptured"], businessFailure: ["PaymentCaptured"] } }),
      ),
    ).toEqual(["SAGA_OUTCOME_CLASSIFIED_TWICE $.steps[1].outcomes.businessFailure[0]"]);
  });

  it("words an unknown service and an event listed twice for a wait, which needs events", () => {
    const messages = (definition: unknown) =>
      validateSaga(definition, { contracts: serviceContracts }).map((d) => d.message);
    const [unknown] = messages(base({ service: "billing" }));
    expect(unknown).toMatch(/^Use a service declared in the contracts \(.*"order".*\)/);
    expect(unknown).toMatch(/declare "billing" and its events in @sagaworks\/contracts\.$/);
    expect(
      messages(
        base({ outcomes: { success: ["PaymentCaptured"], businessFailure: ["PaymentCaptured"] } }),
      ),
    ).toEqual(['List "PaymentCaptured" once: an event is either a success or a business failure.']);
  });

  it("refuses a key of the wrong type for the event, and one read from a later step", () => {
    // An integer key could be a key, but PaymentCaptured carries its paymentId as a string.
    expect(codes(base({ correlation: "$.input.amount" }))).toEqual([
      "SAGA_AWAIT_CORRELATION_TYPE_MISMATCH $.steps[1].correlation",
    ]);
    expect(codes(base({ correlation: "$.steps.await-payment.event.paymentId" }))).toEqual([
      "SAGA_PATH_STEP_NOT_EARLIER $.steps[1].correlation",
    ]);
  });
});

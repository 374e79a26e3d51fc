import { describe, expect, it } from "vitest";
import { type ContractError, ContractErrorCode, ContractErrors } from "./errors.ts";
import {
  commandContract,
  contractsJsonSchema,
  correlationValue,
  declaredEvents,
  serviceContracts,
} from "./registry.ts";

describe("service contracts", () => {
  it("ships order and account over SQS, customer over HTTP only, the payment provider's events", () => {
    expect(Object.keys(serviceContracts).sort()).toEqual([
      "account",
      "customer",
      "order",
      "payment-provider",
    ]);
    expect(Object.keys(serviceContracts.order.commands)).toContain("CreateOrder");
    expect(Object.keys(serviceContracts.account.commands)).toContain("ReserveCredit");
    expect("commands" in serviceContracts.customer).toBe(false);
    expect(serviceContracts.customer.endpoints[0]?.path).toBe("/customers/:id");
  });

  it("finds every event by its name, with its correlation field, and refuses a name declared twice", () => {
    const events = declaredEvents(serviceContracts);
    expect(events.get("PaymentCaptured")).toMatchObject({
      service: "payment-provider",
      contract: { correlation: "paymentId" },
    });
    expect(correlationValue({ paymentId: "p-1" }, "paymentId")).toBe("p-1");
    expect(correlationValue({ payment: { id: 7 } }, "payment.id")).toBe(7);
    expect(correlationValue({ payment: null }, "payment.id")).toBeUndefined();
    const twice = {
      a: {
        events: {
          Paid: {
            payload: serviceContracts["payment-provider"].events.PaymentCaptured.payload,
            correlation: "paymentId",
          },
        },
      },
      b: {
        events: {
          Paid: {
            payload: serviceContracts["payment-provider"].events.PaymentCaptured.payload,
            correlation: "paymentId",
          },
        },
      },
    };
    expect(() => declaredEvents(twice)).toThrow(
      expect.objectContaining({ code: ContractErrorCode.eventDeclaredTwice }),
    );
  });

  it("validates payloads with zod at the boundary", () => {
    const contract = commandContract(serviceContracts, "account", "ReserveCredit");
    expect(
      contract.payload.safeParse({ customerId: "c", orderId: "o", amountCents: 5 }).success,
    ).toBe(true);
    expect(
      contract.payload.safeParse({ customerId: "c", orderId: "o", amountCents: 1.5 }).success,
    ).toBe(false);
  });

  it("throws typed errors for unknown services and commands", () => {
    expect(() => commandContract(serviceContracts, "billing", "X")).toThrow(
      expect.objectContaining({ code: ContractErrorCode.serviceUnknown }),
    );
    try {
      commandContract(serviceContracts, "order", "ShipOrder");
    } catch (error) {
      expect(error).toSatisfy(ContractErrors.is);
      expect((error as ContractError).code).toBe(ContractErrorCode.commandUnknown);
      expect((error as ContractError).message).toMatch(/CreateOrder/);
    }
  });

  it("exports every command, reply and endpoint as JSON Schema", () => {
    const schema = contractsJsonSchema() as {
      services: Record<
        string,
        {
          commands: Record<
            string,
            { payload: { required: string[] }; replies: Record<string, unknown> }
          >;
          endpoints: Array<{ responses: Record<string, unknown> }>;
        }
      >;
    };
    expect(schema.services.order?.commands.CreateOrder?.payload.required).toEqual([
      "orderId",
      "customerId",
      "items",
      "totalCents",
    ]);
    expect(Object.keys(schema.services.account?.commands.ReserveCredit?.replies ?? {})).toEqual([
      "CreditReserved",
      "CreditLimitExceeded",
    ]);
    expect(Object.keys(schema.services.customer?.endpoints[0]?.responses ?? {})).toEqual([
      "200",
      "404",
    ]);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

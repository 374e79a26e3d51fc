import { serviceContracts } from "@sagaworks/contracts";
import { describe, expect, it } from "vitest";
import { compileSaga, compileSagaOrThrow } from "./compile.ts";
import { DiagnosticCode as C, type SagaDefinitionError, SagaDefinitionErrors } from "./errors.ts";
import {
  compile,
  expectProblem,
  expectValid,
  type Loose,
  validDefinition,
} from "./test-fixtures.ts";

function edit(change: (definition: Loose) => void): Loose {
  const definition = validDefinition();
  change(definition);
  return definition;
}

describe("the fixture", () => {
  it("is valid", () => {
    expect(expectValid(validDefinition()).name).toBe("create-order");
  });
});

describe("structure", () => {
  it("reports a missing required field", () => {
    expectProblem(
      edit((d) => delete d.name),
      C.fieldMissing,
      ["name"],
    );
  });
  it("reports an unknown field with its path", () => {
    expectProblem(
      edit((d) => {
        d.steps[1].compensaton = d.steps[1].compensation;
      }),
      C.fieldUnknown,
      ["steps", 1, "compensaton"],
    );
  });
  it("reports a non-integer version", () => {
    expectProblem(
      edit((d) => (d.version = 1.5)),
      C.fieldInvalid,
      ["version"],
    );
  });
  it("reports an invalid duration", () => {
    expectProblem(
      edit((d) => (d.steps[0].timeout = "5 seconds")),
      C.durationInvalid,
      ["steps", 0, "timeout"],
    );
  });
  it("reports a name that is not kebab-case", () => {
    expectProblem(
      edit((d) => (d.steps[2].name = "ReserveCredit")),
      C.nameInvalid,
      ["steps", 2, "name"],
    );
  });
  it("reports an unknown step kind", () => {
    expectProblem(
      edit((d) => (d.steps[1].kind = "lambda")),
      C.stepKindInvalid,
      ["steps", 1, "kind"],
    );
  });
  it("requires the input schema to describe an object", () => {
    expectProblem(
      edit((d) => (d.input.type = "array")),
      C.inputSchemaInvalid,
      ["input", "type"],
    );
  });
  it("requires at least one step", () => {
    expectProblem(
      edit((d) => (d.steps = [])),
      C.fieldInvalid,
      ["steps"],
    );
  });
  it("refuses a document that is not an object", () => {
    expectProblem([], C.fieldInvalid, []);
    expectProblem(null, C.fieldInvalid, []);
  });
});

describe("step names", () => {
  it("must be unique", () => {
    expectProblem(
      edit((d) => (d.steps[2].name = "create-order")),
      C.stepNameDuplicate,
      ["steps", 2, "name"],
    );
  });
});

describe("pivot rules", () => {
  it("allows at most one pivot", () => {
    expectProblem(
      edit((d) => (d.steps[3].pivot = true)),
      C.pivotMultiple,
      ["steps", 3, "pivot"],
    );
  });
  it("requires a compensation or readOnly before the pivot", () => {
    expectProblem(
      edit((d) => delete d.steps[1].compensation),
      C.pivotCompensationMissing,
      ["steps", 1],
    );
    expectProblem(
      edit((d) => delete d.steps[0].readOnly),
      C.pivotCompensationMissing,
      ["steps", 0],
    );
  });
  it("refuses readOnly together with a compensation", () => {
    expectProblem(
      edit((d) => (d.steps[1].readOnly = true)),
      C.readOnlyWithCompensation,
      ["steps", 1, "compensation"],
    );
  });
  it("refuses a compensation on the pivot", () => {
    const definition = edit((d) => {
      d.steps[2].compensation = {
        command: "ReleaseCredit",
        payload: { customerId: "$.input.customerId", orderId: "$.sagaId", amountCents: 1 },
      };
    });
    expectProblem(definition, C.pivotHasCompensation, ["steps", 2, "compensation"]);
  });
  it("refuses a compensation after the pivot", () => {
    const definition = edit((d) => {
      d.steps[3].compensation = {
        command: "RejectOrder",
        payload: { orderId: "$.sagaId", reason: "x" },
      };
    });
    expectProblem(definition, C.retriableStepHasCompensation, ["steps", 3, "compensation"]);
  });
  it("refuses business failures after the pivot", () => {
    const definition = edit((d) => {
      d.steps[3].outcomes.businessFailure = ["OrderApproved"];
    });
    expectProblem(definition, C.retriableStepHasBusinessFailure, [
      "steps",
      3,
      "outcomes",
      "businessFailure",
    ]);
  });
  it("requires unlimited retries after the pivot", () => {
    expectProblem(
      edit((d) => (d.steps[3].retry.maxAttempts = 5)),
      C.retriableStepRetryBounded,
      ["steps", 3, "retry", "maxAttempts"],
    );
    expectProblem(
      edit((d) => delete d.steps[3].retry),
      C.retriableStepRetryBounded,
      ["steps", 3],
    );
  });
  it("refuses non-retryable failures after the pivot", () => {
    expectProblem(
      edit((d) => (d.steps[3].retry.nonRetryable = ["PAYLOAD_INVALID"])),
      C.retriableStepNonRetryable,
      ["steps", 3, "retry", "nonRetryable"],
    );
  });
  it("without a pivot, requires every step but the last to be compensatable", () => {
    expectProblem(
      edit((d) => delete d.steps[2].pivot),
      C.pivotCompensationMissing,
      ["steps", 2],
    );
    const allCompensatable = expectValid(edit((d) => d.steps.splice(2, 2)));
    expect(allCompensatable.pivot).toBeNull();
    expect(allCompensatable.steps[1]?.role).toBe("compensatable");
    const lastIsPivot = expectValid(
      edit((d) => {
        d.steps.splice(3, 1);
        delete d.steps[2].pivot;
      }),
    );
    expect(lastIsPivot.pivot).toBe("reserve-credit");
    expect(lastIsPivot.steps[2]?.role).toBe("pivot");
  });
});

describe("retry policies", () => {
  it("refuses an initial delay above the max delay", () => {
    expectProblem(
      edit((d) => (d.steps[1].retry = { initialDelay: "10m", maxDelay: "1m" })),
      C.retryDelayOrder,
      ["steps", 1, "retry", "initialDelay"],
    );
  });
  it("refuses delays that hammer the service", () => {
    expectProblem(
      edit((d) => (d.steps[1].retry = { initialDelay: "10ms" })),
      C.retryDelayTooShort,
      ["steps", 1, "retry", "initialDelay"],
    );
  });
  it("accepts delays longer than the SQS 15-minute delay limit (timers live in Postgres)", () => {
    expectValid(edit((d) => (d.steps[1].retry = { initialDelay: "20m", maxDelay: "6h" })));
  });
  it("refuses an out-of-range backoff rate", () => {
    expectProblem(
      edit((d) => (d.steps[1].retry = { backoffRate: 0.5 })),
      C.fieldInvalid,
      ["steps", 1, "retry", "backoffRate"],
    );
  });
  it("refuses non-retryable failures the contract does not declare", () => {
    expectProblem(
      edit((d) => (d.steps[1].retry = { nonRetryable: ["BOOM"] })),
      C.retryFailureUnknown,
      ["steps", 1, "retry", "nonRetryable", 0],
    );
    expectProblem(
      edit((d) => (d.steps[0].retry = { nonRetryable: ["teapot"] })),
      C.retryFailureUnknown,
      ["steps", 0, "retry", "nonRetryable", 0],
    );
    expectValid(edit((d) => (d.steps[0].retry = { nonRetryable: ["400"] })));
  });
});

describe("timeouts and AWS limits", () => {
  it("refuses timeouts shorter than the timer resolution", () => {
    expectProblem(
      edit((d) => (d.steps[1].timeout = "500ms")),
      C.timeoutTooShort,
      ["steps", 1, "timeout"],
    );
    expectProblem(
      edit((d) => (d.timeout = "100ms")),
      C.timeoutTooShort,
      ["timeout"],
    );
  });
  it("refuses a saga timeout over a year", () => {
    expectProblem(
      edit((d) => (d.timeout = "400d")),
      C.timeoutTooLong,
      ["timeout"],
    );
  });
  it("refuses a step timeout above the saga timeout", () => {
    expectProblem(
      edit((d) => (d.steps[1].timeout = "2h")),
      C.stepTimeoutExceedsSagaTimeout,
      ["steps", 1, "timeout"],
    );
  });
  it("refuses a command step timeout beyond SQS retention (14 days)", () => {
    const definition = edit((d) => {
      delete d.timeout;
      d.steps[1].timeout = "15d";
    });
    expectProblem(definition, C.stepTimeoutExceedsSqsRetention, ["steps", 1, "timeout"]);
    expectProblem(
      edit((d) => {
        delete d.timeout;
        d.steps[1].compensation.timeout = "15d";
      }),
      C.stepTimeoutExceedsSqsRetention,
      ["steps", 1, "compensation", "timeout"],
    );
  });
  it("refuses long synchronous HTTP timeouts", () => {
    expectProblem(
      edit((d) => (d.steps[0].timeout = "10m")),
      C.httpTimeoutTooLong,
      ["steps", 0, "timeout"],
    );
  });
  it("refuses literal payloads beyond SNS (256 KB) and SQS (1 MiB)", () => {
    expectProblem(
      edit((d) => (d.steps[1].compensation.payload.reason = "x".repeat(300 * 1024))),
      C.payloadExceedsSnsLimit,
      ["steps", 1, "compensation", "payload"],
    );
    const diagnostic = expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "x".repeat(1024 * 1024))),
      C.payloadExceedsSqsLimit,
      ["steps", 1, "payload"],
    );
    expect(diagnostic.details?.limit).toBe(1024 * 1024);
  });
});

describe("contracts", () => {
  it("refuses an unknown service", () => {
    expectProblem(
      edit((d) => (d.steps[1].service = "billing")),
      C.serviceUnknown,
      ["steps", 1, "service"],
    );
  });
  it("refuses a command to an HTTP-only service, and HTTP to a command-only one", () => {
    expectProblem(
      edit((d) => (d.steps[1].service = "customer")),
      C.serviceTransportUnsupported,
      ["steps", 1, "kind"],
    );
    expectProblem(
      edit((d) => (d.steps[0].service = "order")),
      C.serviceTransportUnsupported,
      ["steps", 0, "kind"],
    );
  });
  it("refuses an unknown command and an unknown compensation command", () => {
    expectProblem(
      edit((d) => (d.steps[1].command = "PlaceOrder")),
      C.commandUnknown,
      ["steps", 1, "command"],
    );
    expectProblem(
      edit((d) => (d.steps[1].compensation.command = "DeleteOrder")),
      C.commandUnknown,
      ["steps", 1, "compensation", "command"],
    );
  });
  it("refuses an unknown reply", () => {
    expectProblem(
      edit((d) => (d.steps[2].outcomes.success = ["CreditGranted"])),
      C.replyUnknown,
      ["steps", 2, "outcomes", "success", 0],
    );
  });
  it("requires every declared reply to be classified, once", () => {
    expectProblem(
      edit((d) => delete d.steps[2].outcomes.businessFailure),
      C.outcomeUnclassified,
      ["steps", 2, "outcomes"],
    );
    const twice = expectProblem(
      edit(
        (d) => (d.steps[2].outcomes.businessFailure = ["CreditLimitExceeded", "CreditReserved"]),
      ),
      C.outcomeClassifiedTwice,
      ["steps", 2, "outcomes", "businessFailure", 1],
    );
    expect(twice.message).toBe(
      'List "CreditReserved" once: an outcome is either a success or a business failure.',
    );
  });
  it("refuses an unknown HTTP endpoint or status", () => {
    expectProblem(
      edit((d) => (d.steps[0].request.path = "/customer/:id")),
      C.httpEndpointUnknown,
      ["steps", 0, "request", "path"],
    );
    expectProblem(
      edit((d) => d.steps[0].outcomes.businessFailure.push(500)),
      C.httpStatusUnknown,
      ["steps", 0, "outcomes", "businessFailure", 1],
    );
  });
  it("refuses a payload missing a required field", () => {
    const diagnostic = expectProblem(
      edit((d) => delete d.steps[1].payload.totalCents),
      C.payloadFieldMissing,
      ["steps", 1, "payload"],
    );
    expect(diagnostic.message).toContain("totalCents");
    expectProblem(
      edit((d) => (d.steps[0].request.params = {})),
      C.payloadFieldMissing,
      ["steps", 0, "request", "params"],
    );
  });
  it("refuses a payload field the contract does not declare", () => {
    expectProblem(
      edit((d) => (d.steps[1].payload.colour = "red")),
      C.payloadFieldUnknown,
      ["steps", 1, "payload", "colour"],
    );
  });
  it("refuses a literal or a path of the wrong type", () => {
    expectProblem(
      edit((d) => (d.steps[1].payload.totalCents = "ten")),
      C.payloadTypeMismatch,
      ["steps", 1, "payload", "totalCents"],
    );
    expectProblem(
      edit((d) => (d.steps[1].payload.totalCents = "$.input.customerId")),
      C.payloadTypeMismatch,
      ["steps", 1, "payload", "totalCents"],
    );
    expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "$.steps.verify-customer.response.status")),
      C.payloadTypeMismatch,
      ["steps", 1, "payload", "customerId"],
    );
    expectProblem(
      edit((d) => (d.steps[1].payload.items = { sku: "a" })),
      C.payloadTypeMismatch,
      ["steps", 1, "payload", "items"],
    );
  });
  it("checks nested literal objects field by field", () => {
    const definition = edit(
      (d) => (d.steps[1].payload.items = [{ sku: "a", quantity: "two", unitPriceCents: 5 }]),
    );
    expectProblem(definition, C.payloadTypeMismatch, [
      "steps",
      1,
      "payload",
      "items",
      0,
      "quantity",
    ]);
    expectValid(
      edit((d) => (d.steps[1].payload.items = [{ sku: "a", quantity: 2, unitPriceCents: 5 }])),
    );
  });
});

describe("data mapping paths", () => {
  it("refuses bad syntax and unescaped $ strings", () => {
    expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "$.input..customerId")),
      C.pathSyntax,
      ["steps", 1, "payload", "customerId"],
    );
    expectProblem(
      edit((d) => (d.steps[1].compensation.payload.reason = "$5 off")),
      C.literalEscape,
      ["steps", 1, "compensation", "payload", "reason"],
    );
    expectValid(edit((d) => (d.steps[1].compensation.payload.reason = "$$5 off")));
  });
  it("refuses an unknown root", () => {
    expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "$.context.customerId")),
      C.pathRootUnknown,
      ["steps", 1, "payload", "customerId"],
    );
  });
  it("refuses a path missing from the input schema", () => {
    const diagnostic = expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "$.input.customerID")),
      C.pathNotInSchema,
      ["steps", 1, "payload", "customerId"],
    );
    expect(diagnostic.message).toContain('"customerID"');
  });
  it("refuses a path missing from an earlier step's reply", () => {
    expectProblem(
      edit((d) => (d.steps[2].payload.orderId = "$.steps.create-order.reply.id")),
      C.pathNotInSchema,
      ["steps", 2, "payload", "orderId"],
    );
  });
  it("refuses a reference to an unknown step", () => {
    expectProblem(
      edit((d) => (d.steps[2].payload.orderId = "$.steps.make-order.reply.orderId")),
      C.pathStepUnknown,
      ["steps", 2, "payload", "orderId"],
    );
  });
  it("refuses a reference to a later step or to the step itself", () => {
    expectProblem(
      edit((d) => (d.steps[1].payload.orderId = "$.steps.reserve-credit.reply.orderId")),
      C.pathStepNotEarlier,
      ["steps", 1, "payload", "orderId"],
    );
    expectProblem(
      edit((d) => (d.steps[1].payload.orderId = "$.steps.create-order.reply.orderId")),
      C.pathStepNotEarlier,
      ["steps", 1, "payload", "orderId"],
    );
  });
  it("lets a compensation read its own step's reply", () => {
    expectValid(
      edit((d) => (d.steps[1].compensation.payload.orderId = "$.steps.create-order.reply.orderId")),
    );
  });
  it("refuses the wrong accessor for the step kind", () => {
    expectProblem(
      edit((d) => (d.steps[2].payload.orderId = "$.steps.create-order.response.body.orderId")),
      C.pathStepAccessor,
      ["steps", 2, "payload", "orderId"],
    );
    expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "$.steps.verify-customer.reply.id")),
      C.pathStepAccessor,
      ["steps", 1, "payload", "customerId"],
    );
  });
  it("allows $.failure only in compensations", () => {
    expectProblem(
      edit((d) => (d.steps[1].payload.customerId = "$.failure.message")),
      C.pathFailureOutsideCompensation,
      ["steps", 1, "payload", "customerId"],
    );
    expectProblem(
      edit((d) => (d.steps[1].compensation.payload.reason = "$.failure.why")),
      C.pathNotInSchema,
      ["steps", 1, "compensation", "payload", "reason"],
    );
  });
  it("checks paths even when the command is unknown", () => {
    const definition = edit((d) => {
      d.steps[1].command = "PlaceOrder";
      d.steps[1].payload.customerId = "$.steps.nope.reply.x";
    });
    expectProblem(definition, C.commandUnknown, ["steps", 1, "command"]);
    expectProblem(definition, C.pathStepUnknown, ["steps", 1, "payload", "customerId"]);
  });
});

describe("reporting", () => {
  it("reports every problem at once, across steps", () => {
    const definition = edit((d) => {
      d.steps[0].timeout = "soon";
      delete d.steps[1].compensation;
      d.steps[2].outcomes.success = ["Nope"];
      d.steps[3].retry.maxAttempts = 3;
    });
    const result = compile(definition);
    expect(result.ok).toBe(false);
    const codes = result.diagnostics.map((d) => d.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        C.durationInvalid,
        C.pivotCompensationMissing,
        C.replyUnknown,
        C.retriableStepRetryBounded,
      ]),
    );
  });
  it("adds the file and the line and column from the caller's locate", () => {
    const result = compileSaga(
      edit((d) => delete d.name),
      {
        contracts: serviceContracts,
        file: "x.saga.json",
        locate: (path) => ({ line: path.length + 1, column: 7 }),
      },
    );
    expect(result.diagnostics[0]).toMatchObject({ file: "x.saga.json", line: 2, column: 7 });
  });
  it("compileSagaOrThrow throws a typed error listing the problems", () => {
    expect(() =>
      compileSagaOrThrow(validDefinition(), { contracts: serviceContracts }),
    ).not.toThrow();
    try {
      compileSagaOrThrow(
        edit((d) => delete d.name),
        { contracts: serviceContracts },
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toSatisfy(SagaDefinitionErrors.is);
      expect((error as SagaDefinitionError).code).toBe("SAGA_DEFINITION_INVALID");
      expect((error as SagaDefinitionError).details.diagnostics[0]?.code).toBe(C.fieldMissing);
    }
  });
});

describe("a step with structural errors (issue 9 point 4)", () => {
  it("is still known by name, so references to it report no false 'there is no step'", () => {
    const result = compile(
      edit((d) => {
        d.steps[1].timeout = "soon";
        d.steps[1].unknownField = true;
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const codes = result.diagnostics.map((d) => d.code);
    expect(codes).toContain(C.durationInvalid);
    expect(codes).toContain(C.fieldUnknown);
    expect(codes).not.toContain(C.pathStepUnknown);
  });

  it("with only a bad duration, still has its payload checked against the contract", () => {
    const definition = edit((d) => {
      d.steps[2].timeout = "5 seconds";
      d.steps[2].retry = { ...d.steps[2].retry, maxDelay: "forever" };
      delete d.steps[2].payload.customerId;
      d.steps[2].payload.surprise = "$.input.customerId";
    });
    expectProblem(definition, C.durationInvalid, ["steps", 2, "timeout"]);
    expectProblem(definition, C.durationInvalid, ["steps", 2, "retry", "maxDelay"]);
    expectProblem(definition, C.payloadFieldMissing, ["steps", 2, "payload"]);
    expectProblem(definition, C.payloadFieldUnknown, ["steps", 2, "payload", "surprise"]);
  });

  it("still reports its own pivot, name and path problems", () => {
    const definition = edit((d) => {
      d.steps[1].timeout = "soon";
      d.steps[1].pivot = true;
      delete d.steps[1].compensation;
      d.steps[1].payload.customerId = "$.steps.nowhere.reply.id";
    });
    expectProblem(definition, C.pivotMultiple, ["steps", 2, "pivot"]);
    expectProblem(definition, C.pathStepUnknown, ["steps", 1, "payload", "customerId"]);
    const duplicate = edit((d) => {
      d.steps[2].timeout = "soon";
      d.steps[2].name = "create-order";
    });
    expectProblem(duplicate, C.stepNameDuplicate, ["steps", 2, "name"]);
  });
});

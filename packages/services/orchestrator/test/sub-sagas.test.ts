// A StartSaga the orchestrator can never carry out (an input the child's schema refuses, a child
// no orchestrator deployed) is answered at once: the parent's step fails with the code and the
// paths, and the parent compensates now instead of at the step's deadline. Nothing is created,
// and nothing goes to the sagas queue's DLQ, since the parent already has its answer. And an
// operator's retry of a sub-saga step whose child may still run is refused over the API.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import { type CompiledSaga, catalogOf, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { verifyCustomerStep } from "@sagaworks/saga-definition/testing";
import { commandQueueName, deadLetterQueueName, SUB_SAGA_SERVICE } from "@sagaworks/topology";
import { afterAll, describe, expect, it } from "vitest";
import { API_TOKEN, orchestratorForFile, shippedDefinitions, waitForSaga } from "./harness.ts";

/** A child known to the parent's author but deployed by no orchestrator. */
const ghost = compileSagaOrThrow(
  {
    name: "ghost-hold",
    version: 1,
    description: "never deployed",
    input: {
      type: "object",
      properties: { customerId: { type: "string", minLength: 1 } },
      required: ["customerId"],
    },
    steps: [verifyCustomerStep()],
  },
  { contracts: serviceContracts },
);

/** A parent whose sub-saga step starts `child` with the customer id as its reference too. */
function parent(name: string, child: { name: string; version: number }, catalog: CompiledSaga[]) {
  return compileSagaOrThrow(
    {
      name,
      version: 1,
      description: "holds credit through a child saga",
      input: {
        type: "object",
        properties: {
          customerId: { type: "string", minLength: 1 },
          amountCents: { type: "integer", minimum: 0 },
        },
        required: ["customerId", "amountCents"],
      },
      steps: [
        {
          name: "hold",
          kind: "saga",
          saga: child,
          // hold-credit caps its reference at 128 characters; the parent's customer id has no
          // cap, so only the running saga can tell whether this input fits.
          input:
            child.name === "hold-credit"
              ? {
                  customerId: "$.input.customerId",
                  reference: "$.input.customerId",
                  amountCents: "$.input.amountCents",
                }
              : { customerId: "$.input.customerId" },
          deadline: "30m",
          compensation: "child",
        },
      ],
    },
    { contracts: serviceContracts, sagas: catalogOf(catalog) },
  );
}

// A customer service that takes requests and never answers: a child that calls it keeps running.
const silentCustomer = createServer(() => {});
afterAll(() => {
  silentCustomer.closeAllConnections();
  silentCustomer.close();
});
const file = orchestratorForFile("orchestrator sub sagas", async () => {
  await new Promise<void>((resolve) => silentCustomer.listen(0, "127.0.0.1", resolve));
  const port = (silentCustomer.address() as AddressInfo).port;
  const shipped = await shippedDefinitions();
  const holdCredit = shipped.find((saga) => saga.name === "hold-credit") as CompiledSaga;
  return {
    serviceUrls: { customer: `http://127.0.0.1:${port}` },
    definitions: [
      holdCredit,
      parent("hold-by-child", { name: "hold-credit", version: 1 }, [holdCredit]),
      // Compiled against a catalog that knows the ghost; the orchestrator does not deploy it.
      parent("hold-by-ghost", { name: "ghost-hold", version: 1 }, [ghost]),
    ],
  };
});

const auth = { authorization: `Bearer ${API_TOKEN}` };

async function settle(name: string, input: Record<string, unknown>) {
  const started = await file.orchestrator.api.inject({
    method: "POST",
    url: `/sagas/${name}`,
    headers: auth,
    payload: { input },
  });
  expect(started.statusCode).toBe(201);
  const sagaId = started.json().sagaId as string;
  // The step's deadline is 30 minutes: only an answer at once ends the parent in time.
  return waitForSaga(file.orchestrator, sagaId, "(the parent) to end", (body) =>
    ["compensated", "failed"].includes(body.status),
  );
}

/** The reply the parent's step got, as its history keeps it. */
// biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON field by field.
function answer(saga: Record<string, any>) {
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  return saga.history.find((entry: any) => entry.eventType === "reply")?.event;
}

async function sagasDeadLetters(): Promise<number> {
  const { QueueUrl } = await file.env.clients.sqs.send(
    new GetQueueUrlCommand({
      QueueName: deadLetterQueueName(commandQueueName(file.env.prefix, SUB_SAGA_SERVICE)),
    }),
  );
  const { Attributes = {} } = await file.env.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

describe("a StartSaga with no possible child", () => {
  it("answers an input the child's schema refuses with SagaFailed SAGA_INPUT_INVALID and its paths, at once", async () => {
    const saga = await settle("hold-by-child", { customerId: "c".repeat(200), amountCents: 100 });
    // A business failure of the step, named by the child's reply as for any child that failed.
    expect(saga.snapshot.failure).toMatchObject({ step: "hold", kind: "business-failure" });
    expect(saga.snapshot.failure.message).toContain("input/reference");
    expect(saga.snapshot.steps.hold.status).toBe("failed");
    expect(answer(saga)).toMatchObject({
      name: "SagaFailed",
      payload: {
        code: "SAGA_INPUT_INVALID",
        issues: [expect.objectContaining({ path: "input/reference" })],
      },
    });
    // No child was created for the refused start.
    expect(saga.children).toEqual([]);
    expect(await sagasDeadLetters()).toBe(0);
  });

  it("answers a child that is not deployed with SagaFailed SAGA_DEFINITION_UNKNOWN", async () => {
    const saga = await settle("hold-by-ghost", { customerId: "cust-1", amountCents: 100 });
    expect(saga.snapshot.failure).toMatchObject({ step: "hold", kind: "business-failure" });
    expect(saga.snapshot.failure.message).toContain("ghost-hold v1");
    expect(answer(saga)).toMatchObject({
      name: "SagaFailed",
      payload: { code: "SAGA_DEFINITION_UNKNOWN" },
    });
    expect(saga.children).toEqual([]);
    expect(await sagasDeadLetters()).toBe(0);
  });
});

describe("an operator's retry of a sub-saga step whose child runs", () => {
  it("is refused with 409 CHILD_SAGA_IN_FLIGHT, and no second child is started", async () => {
    const started = await file.orchestrator.api.inject({
      method: "POST",
      url: "/sagas/hold-by-child",
      headers: auth,
      payload: { input: { customerId: "cust-1", amountCents: 100 } },
    });
    const sagaId = started.json().sagaId as string;
    // The child starts and waits on the silent customer service.
    const saga = await waitForSaga(
      file.orchestrator,
      sagaId,
      "to have started its child",
      (body) => body.children.length === 1,
    );
    const retry = await file.orchestrator.api.inject({
      method: "POST",
      url: `/sagas/${sagaId}/retry`,
      headers: auth,
      payload: {
        actor: "ops@example.com",
        reason: "ticket OPS-7",
        expected: { step: "hold", attempt: 1, compensation: false },
      },
    });
    expect(retry.statusCode).toBe(409);
    expect(retry.json().code).toBe("CHILD_SAGA_IN_FLIGHT");
    expect(retry.json().message).toContain("Act on that child saga instead");
    const after = (
      await file.orchestrator.api.inject({ method: "GET", url: `/sagas/${sagaId}`, headers: auth })
    ).json();
    expect(after.children).toEqual(saga.children);
    expect(after.snapshot.pending.hold).toMatchObject({ attempt: 1 });
  });
});

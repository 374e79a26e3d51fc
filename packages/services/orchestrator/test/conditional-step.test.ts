// A conditional step through a real orchestrator: the condition is evaluated when the saga
// reaches the step, the history names the values compared, and a step not taken sends nothing.
import { serviceContracts } from "@sagaworks/contracts";
import type { CommandEnvelope } from "@sagaworks/messaging";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import {
  createOrderStep,
  rejectOrderCompensation,
  reserveCreditStep,
} from "@sagaworks/saga-definition/testing";
import { describe, expect, it } from "vitest";
import {
  API_TOKEN,
  customerTotalInput,
  orchestratorForFile,
  shopAnswers,
  waitForSaga,
} from "./harness.ts";

/** An order is created only above 1,000 cents; the credit is reserved either way. */
const definition = compileSagaOrThrow(
  {
    name: "large-orders-only",
    version: 1,
    description: "creates an order only for large amounts",
    input: customerTotalInput(),
    steps: [
      createOrderStep(
        {
          when: { path: "$.input.totalCents", greaterThan: 1000 },
          compensation: rejectOrderCompensation(),
        },
        { totalCents: "$.input.totalCents" },
      ),
      reserveCreditStep({ pivot: true }),
    ],
  },
  { contracts: serviceContracts },
);

const received: CommandEnvelope[] = [];
const answers = shopAnswers();
/** A participant that answers as the shop does and keeps every command it took. */
const recording = (service: "order" | "account") => (command: CommandEnvelope) => {
  received.push(command);
  return answers[service](command);
};
const file = orchestratorForFile("conditional step", () => ({ definitions: [definition] }), {
  participants: { order: recording("order"), account: recording("account") },
});

const auth = { authorization: `Bearer ${API_TOKEN}` };
async function run(totalCents: number) {
  const started = await file.orchestrator.api.inject({
    method: "POST",
    url: "/sagas/large-orders-only",
    headers: auth,
    payload: { input: { customerId: "cust-1", totalCents } },
  });
  expect(started.statusCode).toBe(201);
  const sagaId = started.json().sagaId as string;
  const saga = await waitForSaga(
    file.orchestrator,
    sagaId,
    "to complete",
    (body) => body.status === "completed",
  );
  return { sagaId, saga };
}

describe("a conditional step in the orchestrator", () => {
  it("is not taken below the threshold: recorded with the value compared, and nothing sent", async () => {
    const { sagaId, saga } = await run(500);
    expect(saga.snapshot.steps["create-order"].status).toBe("not-taken");
    expect(saga.history[0].note).toContain(
      "create-order not taken: $.input.totalCents > 1000 is false ($.input.totalCents = 500)",
    );
    const sent = received.filter((command) => command.sagaId === sagaId).map((c) => c.name);
    expect(sent).toEqual(["ReserveCredit"]);
  });

  it("is taken above it", async () => {
    const { sagaId, saga } = await run(5000);
    expect(saga.snapshot.steps["create-order"].status).toBe("succeeded");
    const sent = received.filter((command) => command.sagaId === sagaId).map((c) => c.name);
    expect(sent).toEqual(["CreateOrder", "ReserveCredit"]);
  });
});

// The orchestrator's HTTP API over a real listening server: auth, validation (400, never 500),
// listing and pagination, definitions, and the operator actions with their pivot rules.
import { serviceContracts } from "@sagaworks/contracts";
import type { CommandEnvelope } from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/messaging/testing";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import {
  approveOrderStep,
  createOrderStep,
  rejectOrderCompensation,
  reserveCreditStep,
} from "@sagaworks/saga-definition/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, API_TOKEN, orchestratorForFile, shopAnswers } from "./harness.ts";

/** create → reserve (pivot) → approve, with short timeouts and a compensation that gives up fast. */
function operatorSaga(): CompiledSaga {
  return compileSagaOrThrow(
    {
      name: "operator-order",
      version: 1,
      description: "create-order with short timeouts, for operator actions",
      input: {
        type: "object",
        properties: { customerId: { type: "string" }, totalCents: { type: "integer", minimum: 0 } },
        required: ["customerId", "totalCents"],
        additionalProperties: false,
      },
      steps: [
        createOrderStep(
          {
            compensation: rejectOrderCompensation({ retry: { maxAttempts: 1 }, timeout: "1s" }),
            retry: { maxAttempts: 50, initialDelay: "1s", jitter: "none" },
            timeout: "1s",
          },
          { totalCents: "$.input.totalCents" },
        ),
        reserveCreditStep({ pivot: true, timeout: "1s" }),
        approveOrderStep({
          retry: { maxAttempts: "unlimited", initialDelay: "1s", maxDelay: "2s", jitter: "none" },
          timeout: "1s",
        }),
      ],
    },
    { contracts: serviceContracts },
  );
}

// Customers whose commands the stand-in services leave unanswered, to park sagas where a test
// wants them: "silent-create" never gets OrderCreated, "silent-approve" never gets OrderApproved,
// "silent-reject" gets a credit refusal and then no answer to its compensation.
const answers = shopAnswers(1_000);
function order(command: CommandEnvelope): Answer {
  const customer = String((command.payload as { customerId?: string }).customerId ?? "");
  if (command.name === "CreateOrder" && customer === "silent-create") return null;
  if (command.name === "ApproveOrder" || command.name === "RejectOrder") {
    const owner = owners.get(command.sagaId);
    if (command.name === "ApproveOrder" && owner === "silent-approve") return null;
    if (command.name === "RejectOrder" && owner === "silent-reject") return null;
  }
  if (command.name === "CreateOrder") owners.set(command.sagaId, customer);
  return answers.order(command);
}
const owners = new Map<string, string>();
// "silent-reserve" never gets an answer to ReserveCredit: its saga stays at the pivot.
function account(command: CommandEnvelope): Answer {
  const customer = String((command.payload as { customerId?: string }).customerId ?? "");
  if (command.name === "ReserveCredit" && customer === "silent-reserve") return null;
  return answers.account(command);
}

const file = orchestratorForFile("orchestrator api", () => ({ definitions: [operatorSaga()] }), {
  participants: { order, account },
});
let base: string;
beforeAll(async () => {
  base = await file.orchestrator.api.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => file.orchestrator.api.close());

const auth = { authorization: `Bearer ${API_TOKEN}` };
async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = auth,
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert on them.
    body: (text ? JSON.parse(text) : null) as Record<string, any>,
  };
}
async function start(customerId: string, totalCents = 100): Promise<string> {
  const response = await call("POST", "/sagas/operator-order", {
    input: { customerId, totalCents },
  });
  expect(response.status).toBe(201);
  return response.body.sagaId as string;
}
async function statusOf(sagaId: string, wanted: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const saga = await call("GET", `/sagas/${sagaId}`);
      return saga.body.snapshot.status === wanted ? saga.body : undefined;
    },
    { timeoutMs, description: `saga ${sagaId} to be ${wanted}` },
  );
}
const operator = { actor: "ops@example.com", reason: "ticket OPS-42" };

/**
 * Sends an operator action expecting what the saga waits on now, as the CLI and the inspector
 * do; sent again if the saga moved on in between (a retry timer fired) or its reply is awaited.
 */
function act(sagaId: string, action: string, body: Record<string, unknown>) {
  return waitFor(
    async () => {
      // Steps run one at a time: the pending map holds at most one entry.
      const pending = Object.values(
        (await call("GET", `/sagas/${sagaId}`)).body.snapshot.pending,
      )[0] as { step: string; attempt: number; compensation: boolean } | undefined;
      const expected = pending
        ? { step: pending.step, attempt: pending.attempt, compensation: pending.compensation }
        : { step: "(none)", attempt: 1, compensation: false };
      const response = await call("POST", `/sagas/${sagaId}/${action}`, { ...body, expected });
      return ["SAGA_MOVED_ON", "STEP_IN_FLIGHT"].includes(response.body?.code)
        ? undefined
        : response;
    },
    { description: `${action} to reach saga ${sagaId} while it holds still`, timeoutMs: 20_000 },
  );
}

describe("the orchestrator API", () => {
  it("refuses starts and operator actions without the bearer token", async () => {
    expect((await call("POST", "/sagas/operator-order", { input: {} }, {})).status).toBe(401);
    expect(
      (
        await call(
          "POST",
          "/sagas/operator-order",
          { input: {} },
          { authorization: "Bearer wrong" },
        )
      ).status,
    ).toBe(401);
    const retry = await call("POST", `/sagas/${crypto.randomUUID()}/retry`, operator, {});
    expect(retry).toMatchObject({ status: 401, body: { code: "UNAUTHORIZED" } });
  });

  it("answers bad input with 400 and the reason, never 500", async () => {
    const malformed = await call("POST", "/sagas/operator-order", "{not json");
    expect(malformed.status).toBe(400);
    const input = await call("POST", "/sagas/operator-order", { input: { customerId: 7 } });
    expect(input).toMatchObject({ status: 400, body: { code: "SAGA_INPUT_INVALID" } });
    expect(input.body.message).toMatch(
      /input must have required property 'totalCents'.*input\/customerId must be string/,
    );
    // An extra property is named, not only "must NOT have additional properties".
    const extra = await call("POST", "/sagas/operator-order", {
      input: { customerId: "c-1", totalCents: 1, coupon: "FREE" },
    });
    expect(extra).toMatchObject({ status: 400, body: { code: "SAGA_INPUT_INVALID" } });
    expect(extra.body.message).toContain(
      'input/coupon is not allowed: the input has no property "coupon"',
    );
    expect((await call("POST", "/sagas/operator-order", { nothing: true })).status).toBe(400);
    expect((await call("GET", "/sagas/not-a-uuid")).status).toBe(400);
    expect((await call("GET", "/sagas?limit=0")).status).toBe(400);
    expect((await call("GET", "/sagas?status=sleeping")).status).toBe(400);
    expect(await call("GET", "/sagas?cursor=garbage")).toMatchObject({
      status: 400,
      body: { code: "CURSOR_INVALID" },
    });
    const noReason = await call("POST", `/sagas/${crypto.randomUUID()}/retry`, { actor: "ops" });
    expect(noReason.status).toBe(400);
    const expected = { step: "create-order", attempt: 1, compensation: false };
    const skipWithoutOutput = await call("POST", `/sagas/${crypto.randomUUID()}/skip`, {
      ...operator,
      expected,
    });
    expect(skipWithoutOutput.status).toBe(400);
    const blind = await call("POST", `/sagas/${crypto.randomUUID()}/retry`, operator);
    expect(blind).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/expected/) },
    });
    const badOutcome = await call("POST", `/sagas/${crypto.randomUUID()}/compensate`, {
      ...operator,
      expected,
      pivotOutcome: "applied",
    });
    expect(badOutcome).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/not-applied/) },
    });
  });

  it("answers 404 for an unknown saga name or id", async () => {
    expect(await call("POST", "/sagas/no-such-saga", { input: {} })).toMatchObject({
      status: 404,
      body: { code: "SAGA_DEFINITION_UNKNOWN" },
    });
    expect((await call("GET", `/sagas/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call("POST", `/sagas/${crypto.randomUUID()}/resolve`, operator)).status).toBe(
      404,
    );
  });

  it("lists sagas newest first, filtered and paginated by cursor", async () => {
    const ids = [await start("list-a"), await start("list-b"), await start("list-c")];
    await Promise.all(ids.map((id) => statusOf(id, "completed")));
    const first = await call("GET", "/sagas?status=completed&name=operator-order&limit=2");
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(
      "GET",
      `/sagas?status=completed&name=operator-order&limit=2&cursor=${first.body.nextCursor}`,
    );
    const seen = [...first.body.items, ...second.body.items].map((item: { id: string }) => item.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
  });

  it("serves the definitions, their diagram, health, readiness and OpenAPI", async () => {
    const list = await call("GET", "/definitions");
    expect(list.body).toEqual([
      {
        name: "operator-order",
        version: 1,
        hash: expect.stringMatching(/^sha256:/),
        deployed: true,
      },
    ]);
    const one = await call("GET", "/definitions/operator-order/1");
    expect(one.body.mermaid).toMatch(/^stateDiagram-v2/);
    expect((await call("GET", "/definitions/operator-order/9")).status).toBe(404);
    expect((await call("GET", "/health")).body).toEqual({ status: "ok" });
    expect((await call("GET", "/ready")).body).toEqual({ status: "ready" });
    const docs = await call("GET", "/docs/json");
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(["/sagas/{name}", "/sagas/{id}/retry"]),
    );
  });
});

describe("operator actions", () => {
  it("skips a stuck step with a supplied output, and records who and why", async () => {
    const sagaId = await start("silent-create");
    await waitFor(async () =>
      (await call("GET", `/sagas/${sagaId}`)).body.history.some(
        (h: { eventType: string }) => h.eventType === "step-timeout",
      ),
    );
    const skipped = await act(sagaId, "skip", {
      ...operator,
      output: { orderId: sagaId, customerId: "silent-create", status: "PENDING", totalCents: 100 },
    });
    expect(skipped.status).toBe(200);
    const saga = await statusOf(sagaId, "completed");
    const entry = saga.history.find((h: { eventType: string }) => h.eventType === "operator.skip");
    expect(entry).toMatchObject({
      actor: "ops@example.com",
      reason: "ticket OPS-42",
      applied: true,
    });
  });

  it("refuses to compensate once the pivot has succeeded", async () => {
    const sagaId = await start("silent-approve");
    await waitFor(
      async () => (await call("GET", `/sagas/${sagaId}`)).body.snapshot.pivotPassed === true,
    );
    const refused = await act(sagaId, "compensate", operator);
    expect(refused).toMatchObject({ status: 409, body: { code: "PIVOT_PASSED" } });
    const saga = (await call("GET", `/sagas/${sagaId}`)).body;
    expect(
      saga.history.find((h: { eventType: string }) => h.eventType === "operator.compensate"),
    ).toMatchObject({
      applied: false,
      actor: "ops@example.com",
    });
    // It was never resolved: only a parked saga can be.
    expect(await call("POST", `/sagas/${sagaId}/resolve`, operator)).toMatchObject({
      status: 409,
      body: { code: "NOT_PARKED" },
    });
  });

  it("refuses to skip the pivot with PIVOT_NOT_SKIPPABLE, and to compensate it until told it did not apply", async () => {
    const sagaId = await start("silent-reserve");
    await waitFor(
      async () =>
        (await call("GET", `/sagas/${sagaId}`)).body.snapshot.pending["reserve-credit"] !==
        undefined,
    );
    const refused = await act(sagaId, "skip", {
      ...operator,
      output: { reservationId: "by-hand" },
    });
    expect(refused).toMatchObject({ status: 409, body: { code: "PIVOT_NOT_SKIPPABLE" } });
    expect(refused.body.message).toMatch(/reserve-credit.*pivot.*Retry it/);
    const saga = (await call("GET", `/sagas/${sagaId}`)).body;
    expect(saga.snapshot).toMatchObject({
      pivotPassed: false,
      pending: { "reserve-credit": { step: "reserve-credit" } },
    });
    expect(saga.snapshot.steps["reserve-credit"].status).not.toBe("skipped");
    expect(
      saga.history.find((h: { eventType: string }) => h.eventType === "operator.skip"),
    ).toMatchObject({ applied: false, actor: "ops@example.com", reason: "ticket OPS-42" });
    const unknown = await act(sagaId, "compensate", operator);
    expect(unknown).toMatchObject({ status: 409, body: { code: "PIVOT_OUTCOME_UNKNOWN" } });
    const compensated = await act(sagaId, "compensate", {
      ...operator,
      pivotOutcome: "not-applied",
    });
    expect(compensated.status).toBe(200);
    await statusOf(sagaId, "compensated");
  });

  it("retries a compensation that gave up, then resolves the saga by hand", async () => {
    const sagaId = await start("silent-reject", 5_000);
    await statusOf(sagaId, "needs-intervention");
    const retried = await act(sagaId, "retry", operator);
    expect(retried).toMatchObject({ status: 200, body: { status: "compensating" } });
    await statusOf(sagaId, "needs-intervention");
    const resolved = await call("POST", `/sagas/${sagaId}/resolve`, {
      actor: "ops@example.com",
      reason: "rejected in the ERP",
    });
    expect(resolved).toMatchObject({ status: 200, body: { status: "resolved" } });
    const saga = (await call("GET", `/sagas/${sagaId}`)).body;
    expect(
      saga.history
        .filter((h: { eventType: string }) => h.eventType.startsWith("operator."))
        .map((h: { eventType: string }) => h.eventType),
    ).toEqual(["operator.retry", "operator.resolve"]);
    // A finished saga refuses everything.
    expect(await act(sagaId, "retry", operator)).toMatchObject({
      status: 409,
      body: { code: "SAGA_TERMINAL" },
    });
  });
});

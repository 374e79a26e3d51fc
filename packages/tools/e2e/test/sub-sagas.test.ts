// End to end: sagas that start sagas, through the orchestrator (its own `sagas` command queue and
// the child's answer on the reply queue), the real order and account services, the SQS/SNS
// endpoint over HTTP and Postgres. order-with-deposit holds a deposit through the hold-credit
// saga and places the order through create-order. After every case money and reservations are
// conserved: nothing stays held for an order that did not go through.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { catalogOf, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { loadDefinitionFolder } from "@sagaworks/saga-definition/files";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectHolds, post, until } from "./e2e.fixtures.ts";

const API_TOKEN = "e2e-token-0123456789";
const readAuth = { headers: { authorization: `Bearer ${API_TOKEN}` } };

let s: RunningSystem;
beforeAll(async () => {
  const shipped = await loadDefinitionFolder(sagaDefinitionsDir, {
    contracts: serviceContracts,
    where: "The e2e test reads the shipped definitions.",
  });
  // order-with-deposit whose deposit may wait two seconds for its child: the case of a parent
  // that compensates while its child still runs.
  const quick = JSON.parse(
    readFileSync(join(sagaDefinitionsDir, "order-with-deposit.saga.json"), "utf8"),
  );
  quick.name = "order-with-deposit-quick";
  quick.steps[0].deadline = "2s";
  // order-with-deposit whose own input takes an item quantity of 0, which create-order's input
  // schema refuses: only the running orchestrator can tell, when it starts that child.
  const loose = JSON.parse(
    readFileSync(join(sagaDefinitionsDir, "order-with-deposit.saga.json"), "utf8"),
  );
  loose.name = "order-with-deposit-loose";
  delete loose.input.properties.items.items.properties.quantity.minimum;
  s = await startTestSystem("sub sagas", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: API_TOKEN,
    serviceToken: "e2e-service-token-0123456789",
    definitions: [
      ...shipped,
      compileSagaOrThrow(quick, { contracts: serviceContracts, sagas: catalogOf(shipped) }),
      compileSagaOrThrow(loose, { contracts: serviceContracts, sagas: catalogOf(shipped) }),
    ],
  });
}, 180_000);
afterAll(async () => {
  if (s) await stopSystemAndDropSchemas(s);
});

interface SagaView {
  name: string;
  snapshot: {
    status: string;
    steps: Record<string, { status: string }>;
    failure: { step: string; code: string; message: string } | null;
  };
  history: { eventType: string; applied: boolean; note: string }[];
  parent: { sagaId: string; sagaName: string; step: string } | null;
  children: { step: string; attempt: number; sagaId: string; sagaName: string }[];
}

const view = async (sagaId: string) =>
  (await (await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, readAuth)).json()) as SagaView;

const ENDED = ["completed", "compensated", "failed", "needs-intervention"];
async function settled(sagaId: string): Promise<SagaView> {
  return until(`saga ${sagaId} to settle`, async () => {
    const saga = await view(sagaId);
    return ENDED.includes(saga.snapshot.status) ? saga : undefined;
  });
}

async function start(name: string, customerId: string, totalCents: number, depositCents: number) {
  const response = await post(
    `${s.urls.orchestrator}/sagas/${name}`,
    {
      input: {
        customerId,
        items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
        totalCents,
        depositCents,
      },
    },
    s.apiToken,
  );
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

/** The account's money adds up, and it holds exactly these reservations. */
describe("order-with-deposit end to end (sub-sagas)", () => {
  it("holds the deposit and places the order through two children, then gives the deposit back; parent and children are linked both ways", async () => {
    const customer = await openCustomer(s, 10_000);
    const sagaId = await start("order-with-deposit", customer, 1_500, 300);
    const parent = await settled(sagaId);
    expect(parent.snapshot.status).toBe("completed");
    expect(parent.children.map((c) => [c.step, c.sagaName])).toEqual([
      ["hold-deposit", "hold-credit"],
      ["place-order", "create-order"],
    ]);
    for (const child of parent.children) {
      const seen = await view(child.sagaId);
      expect(seen.snapshot.status).toBe("completed");
      expect(seen.parent).toEqual({ sagaId, sagaName: "order-with-deposit", step: child.step });
    }
    const order = parent.children.find((c) => c.step === "place-order")?.sagaId as string;
    // The order's credit stays held; the deposit was given back.
    await expectHolds(s, customer, [[order, 1_500]]);
  });

  it("a child compensated: the parent compensates, asking the completed deposit child to undo itself", async () => {
    const customer = await openCustomer(s, 1_000);
    const sagaId = await start("order-with-deposit", customer, 1_500, 300);
    const parent = await settled(sagaId);
    expect(parent.snapshot.status).toBe("compensated");
    expect(parent.snapshot.steps["place-order"]?.status).toBe("failed");
    expect(parent.snapshot.steps["hold-deposit"]?.status).toBe("compensated");
    const [hold, place] = parent.children;
    const placed = await view(place?.sagaId as string);
    expect(placed.snapshot.status).toBe("compensated");
    const order = (await (await fetch(`${s.urls.order}/orders/${place?.sagaId}`)).json()) as {
      status: string;
    };
    expect(order.status).toBe("REJECTED");
    // The deposit child had completed; asked by its parent, it released the deposit.
    const held = await view(hold?.sagaId as string);
    expect(held.snapshot.status).toBe("compensated");
    expect(held.history.map((h) => h.note).join("\n")).toContain("asked to compensate");
    await expectHolds(s, customer, []);
  });

  it("a child whose input its schema refuses is never started: the parent is answered at once and releases the deposit", async () => {
    const customer = await openCustomer(s, 10_000);
    const response = await post(
      `${s.urls.orchestrator}/sagas/order-with-deposit-loose`,
      {
        input: {
          customerId: customer,
          items: [{ sku: "book", quantity: 0, unitPriceCents: 1_500 }],
          totalCents: 1_500,
          depositCents: 300,
        },
      },
      s.apiToken,
    );
    expect(response.status).toBe(201);
    const sagaId = ((await response.json()) as { sagaId: string }).sagaId;
    // place-order's deadline is two hours: only the answer at once settles the parent here.
    const parent = await settled(sagaId);
    expect(parent.snapshot.status).toBe("compensated");
    expect(parent.snapshot.steps["place-order"]?.status).toBe("failed");
    expect(parent.snapshot.steps["hold-deposit"]?.status).toBe("compensated");
    expect(parent.snapshot.failure).toMatchObject({ step: "place-order", code: "SagaFailed" });
    expect(parent.snapshot.failure?.message).toContain("input/items/0/quantity");
    // Only the deposit child exists, and it released what it held.
    expect(parent.children.map((c) => c.step)).toEqual(["hold-deposit"]);
    await expectHolds(s, customer, []);
  });

  it("the parent compensates a child that is still running: the child stops and undoes itself, nothing stays held", async () => {
    const customer = await openCustomer(s, 10_000);
    // The account service is down, so the deposit child waits on its reservation past the
    // parent step's two-second deadline.
    await s.services.account.participant.stop();
    let sagaId: string;
    try {
      sagaId = await start("order-with-deposit-quick", customer, 1_500, 300);
      await until("the parent to ask its child to compensate", async () => {
        const parent = await view(sagaId);
        return parent.snapshot.steps["hold-deposit"]?.status === "compensating" &&
          parent.children.length === 1
          ? parent
          : undefined;
      });
      const child = (await view(sagaId)).children[0]?.sagaId as string;
      await until("the child to compensate", async () => {
        const seen = await view(child);
        return seen.snapshot.status === "compensating" ? seen : undefined;
      });
    } finally {
      s.services.account.participant.start();
    }
    const parent = await settled(sagaId);
    expect(parent.snapshot.status).toBe("compensated");
    const child = await view(parent.children[0]?.sagaId as string);
    expect(child.snapshot.status).toBe("compensated");
    expect(child.snapshot.steps["reserve-credit"]?.status).toBe("compensated");
    expect(parent.snapshot.steps["place-order"]?.status).toBe("pending");
    await expectHolds(s, customer, []);
  });
});

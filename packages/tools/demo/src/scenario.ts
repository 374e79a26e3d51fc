// The demo's mix of orders, what each is expected to end as, and the checks that say whether it
// did. Everything goes through the public APIs (orchestrator, order, account) and the queues.
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  createCommandEnvelope,
  envelopeMessage,
  sendToQueue,
  signEnvelope,
} from "@sagaworks/messaging";
import type { RunningSystem } from "@sagaworks/system";
import { commandQueueName, replyQueueName } from "@sagaworks/topology";
import { DemoErrorCode, DemoErrors } from "./errors.ts";

/** One saga the demo starts, and the terminal state it must reach. */
interface Planned {
  label: string;
  saga: "create-order" | "cancel-order";
  input: Record<string, unknown>;
  expected: "completed" | "compensated" | "failed";
  /** Order status the order service must report afterwards. */
  orderStatus?: string;
  idempotencyKey?: string;
  sagaId?: string;
}

/** What the scenario saw. */
export interface ScenarioResult {
  countsByStatus: Record<string, number>;
  latency: { p50: number; p95: number };
  duplicateStartSameSaga: boolean;
  duplicateCommandAbsorbed: boolean;
  duplicateReplyIgnored: boolean;
  compensatedSagaId: string | undefined;
  compensatedTimeline: string[];
  problems: string[];
}

interface SagaView {
  snapshot: { status: string; sagaId: string };
  createdAt: string;
  updatedAt: string;
  history: { at: string; eventType: string; applied: boolean; note: string; status: string }[];
}

const TERMINAL = ["completed", "compensated", "failed", "needs-intervention", "resolved"];

function order(
  customerId: string,
  totalCents: number,
  label: string,
  expected: Planned["expected"],
  orderStatus: string,
): Planned {
  return {
    label,
    saga: "create-order",
    input: {
      customerId,
      items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
      totalCents,
    },
    expected,
    orderStatus,
  };
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) {
    throw DemoErrors.create(
      DemoErrorCode.requestFailed,
      `${response.url}: ${response.status} ${await response.text()}`,
    );
  }
  return (await response.json()) as T;
}

/**
 * Runs the mix: successful orders, credit-limit refusals (compensated), unknown customers
 * (failed), cancellations of approved orders, a repeated start and a duplicate command.
 */
export async function runScenario(
  system: RunningSystem,
  options: { successes: number; timeoutMs: number; onProgress: (line: string) => void },
): Promise<ScenarioResult> {
  const api = system.urls.orchestrator;
  const token = system.apiToken;
  const start = async (planned: Planned) => {
    const response = await fetch(`${api}/sagas/${planned.saga}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        // A header, not an option: without a key there is no header at all.
        ...(planned.idempotencyKey ? { "idempotency-key": planned.idempotencyKey } : {}),
      },
      body: JSON.stringify({ input: planned.input }),
    });
    planned.sagaId = (await json<{ sagaId: string }>(response)).sagaId;
    return planned.sagaId;
  };
  const view = async (sagaId: string) =>
    json<SagaView>(
      await fetch(`${api}/sagas/${sagaId}`, { headers: { authorization: `Bearer ${token}` } }),
    );
  const problems: string[] = [];

  const plan: Planned[] = [];
  for (let i = 0; i < options.successes; i++) {
    const customer = i % 2 === 0 ? "cust-ada" : "cust-grace";
    plan.push(
      order(customer, 1_000 + 250 * i, `order ${i + 1} for ${customer}`, "completed", "APPROVED"),
    );
  }
  const first = plan[0] as Planned;
  first.idempotencyKey = `demo-${crypto.randomUUID()}`;
  plan.push(order("cust-margaret", 4_200, "over the limit (limit 0)", "compensated", "REJECTED"));
  plan.push(order("cust-alan", 30_000, "over the limit (limit 25,000)", "compensated", "REJECTED"));
  plan.push(order("cust-alan", 26_000, "over the limit again", "compensated", "REJECTED"));
  plan.push(order("cust-nobody", 1_000, "unknown customer", "failed", ""));

  // Every create-order at once: the orchestrator and services handle them concurrently.
  await Promise.all(plan.map(start));
  const repeated = await start({ ...first, sagaId: undefined });
  const duplicateStartSameSaga = repeated === first.sagaId;

  const settled = new Map<string, SagaView>();
  const waitFor = async (planned: readonly Planned[]) => {
    const deadline = Date.now() + options.timeoutMs;
    let lastShown = 0;
    while (Date.now() < deadline) {
      await Promise.all(
        planned
          .filter((p) => p.sagaId && !settled.has(p.sagaId))
          .map(async (p) => {
            const saga = await view(p.sagaId as string);
            if (TERMINAL.includes(saga.snapshot.status)) settled.set(p.sagaId as string, saga);
          }),
      );
      const done = planned.filter((p) => settled.has(p.sagaId as string)).length;
      if (Date.now() - lastShown >= 1_000 || done === planned.length) {
        const counts: Record<string, number> = {};
        for (const saga of settled.values())
          counts[saga.snapshot.status] = (counts[saga.snapshot.status] ?? 0) + 1;
        options.onProgress(`  ${done}/${planned.length} sagas settled ${JSON.stringify(counts)}`);
        lastShown = Date.now();
      }
      if (done === planned.length) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw DemoErrors.create(
      DemoErrorCode.sagasTimedOut,
      `sagas still running after ${options.timeoutMs} ms`,
    );
  };
  options.onProgress(`started ${plan.length} create-order sagas`);
  await waitFor(plan);

  // Cancel two approved orders: cancel-order releases their credit and cancels them.
  const cancellations: Planned[] = plan
    .filter((p) => p.expected === "completed")
    .slice(0, 2)
    .map((p) => ({
      label: `cancel ${p.sagaId}`,
      saga: "cancel-order",
      input: { orderId: p.sagaId, reason: "the customer changed their mind" },
      expected: "completed",
    }));
  for (const cancelled of cancellations) {
    const target = plan.find((p) => p.sagaId === cancelled.input.orderId);
    if (target) target.orderStatus = "CANCELLED";
  }
  await Promise.all(cancellations.map(start));
  options.onProgress(`started ${cancellations.length} cancel-order sagas`);
  await waitFor(cancellations);

  // A duplicate command: the account service gets ReserveCredit again for a finished saga,
  // as SQS may deliver it. Its inbox answers with the stored reply and changes nothing; the
  // orchestrator records that reply and ignores it.
  const target = plan.find(
    (p) => p.expected === "completed" && !p.orderStatus?.startsWith("CANCEL"),
  ) as Planned;
  const before = await json<{ reservedCents: number; reservations: unknown[] }>(
    await fetch(`${system.urls.account}/accounts/${target.input.customerId}`),
  );
  const accountQueue = (
    await system.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: commandQueueName(system.prefix, "account") }),
    )
  ).QueueUrl as string;
  const historyBefore = (await view(target.sagaId as string)).history.length;
  await sendToQueue(system.clients.sqs, accountQueue, [
    // Signed with the system's command key, as the orchestrator's own copy was: a redelivery,
    // not a forgery (an unsigned copy would go to the DLQ unhandled).
    envelopeMessage(
      signEnvelope(
        createCommandEnvelope({
          name: "ReserveCredit",
          sagaId: target.sagaId as string,
          sagaName: "create-order",
          sagaVersion: 1,
          step: "reserve-credit",
          attempt: 1,
          compensation: false,
          idempotencyKey: `${target.sagaId}:reserve-credit`,
          replyTo: replyQueueName(system.prefix),
          payload: {
            customerId: target.input.customerId,
            orderId: target.sagaId,
            amountCents: target.input.totalCents,
          },
        }),
        system.commandKeys,
      ),
    ),
  ]);
  let duplicateReplyIgnored = false;
  const deadline = Date.now() + 20_000;
  while (!duplicateReplyIgnored && Date.now() < deadline) {
    const history = (await view(target.sagaId as string)).history;
    duplicateReplyIgnored = history
      .slice(historyBefore)
      .some((h) => h.eventType === "reply" && !h.applied);
    if (!duplicateReplyIgnored) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const after = await json<{ reservedCents: number; reservations: unknown[] }>(
    await fetch(`${system.urls.account}/accounts/${target.input.customerId}`),
  );
  const duplicateCommandAbsorbed =
    after.reservedCents === before.reservedCents &&
    after.reservations.length === before.reservations.length;

  // Every saga ended as expected, and the order service agrees.
  const all = [...plan, ...cancellations];
  for (const planned of all) {
    const saga = settled.get(planned.sagaId as string);
    if (saga?.snapshot.status !== planned.expected) {
      problems.push(
        `${planned.label} (${planned.sagaId}) ended ${saga?.snapshot.status}, expected ${planned.expected}`,
      );
    }
    if (planned.saga === "create-order" && planned.orderStatus) {
      const response = await fetch(`${system.urls.order}/orders/${planned.sagaId}`);
      const status = response.ok
        ? ((await response.json()) as { status: string }).status
        : `HTTP ${response.status}`;
      if (status !== planned.orderStatus)
        problems.push(`order ${planned.sagaId} is ${status}, expected ${planned.orderStatus}`);
    }
    if (planned.expected === "failed") {
      const response = await fetch(`${system.urls.order}/orders/${planned.sagaId}`);
      if (response.status !== 404)
        problems.push(`a failed saga left order ${planned.sagaId} behind`);
    }
  }
  if (!duplicateStartSameSaga)
    problems.push("a repeated start with the same Idempotency-Key created a second saga");
  if (!duplicateCommandAbsorbed) problems.push("the duplicate ReserveCredit changed the account");
  if (!duplicateReplyIgnored) problems.push("the duplicate reply was not recorded as ignored");

  const countsByStatus: Record<string, number> = {};
  for (const planned of all) {
    const status = `${planned.saga} ${settled.get(planned.sagaId as string)?.snapshot.status}`;
    countsByStatus[status] = (countsByStatus[status] ?? 0) + 1;
  }
  const latencies = plan
    .map((p) => settled.get(p.sagaId as string))
    .filter((s): s is SagaView => Boolean(s))
    .map((s) => Date.parse(s.updatedAt) - Date.parse(s.createdAt))
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;

  const compensated = plan.find((p) => p.expected === "compensated");
  const timeline = compensated?.sagaId ? await view(compensated.sagaId) : undefined;
  const t0 = timeline ? Date.parse(timeline.createdAt) : 0;
  return {
    countsByStatus,
    latency: { p50: pct(50), p95: pct(95) },
    duplicateStartSameSaga,
    duplicateCommandAbsorbed,
    duplicateReplyIgnored,
    compensatedSagaId: compensated?.sagaId,
    compensatedTimeline: (timeline?.history ?? []).map(
      (h) =>
        `+${String(Date.parse(h.at) - t0).padStart(5)} ms  ${h.eventType.padEnd(14)} ${h.applied ? "" : "(ignored) "}${h.note}  → ${h.status}`,
    ),
    problems,
  };
}

/** Every account must conserve money: limit = available + reserved + spent, none negative. */
export async function checkAccounts(
  system: RunningSystem,
): Promise<{ checked: number; problems: string[] }> {
  const response = await fetch(`${system.urls.account}/accounts?limit=200`);
  const body = (await json<{ items: Record<string, number | string>[] }>(response)).items;
  const problems: string[] = [];
  for (const account of body) {
    const { creditLimitCents, availableCents, reservedCents, spentCents } = account as {
      creditLimitCents: number;
      availableCents: number;
      reservedCents: number;
      spentCents: number;
    };
    if (creditLimitCents !== availableCents + reservedCents + spentCents || availableCents < 0) {
      problems.push(`account ${account.customerId} does not add up: ${JSON.stringify(account)}`);
    }
  }
  return { checked: body.length, problems };
}

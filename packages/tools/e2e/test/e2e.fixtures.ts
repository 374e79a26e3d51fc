// What the end-to-end tests of a running system share: a JSON POST with a bearer token, an
// account as the account service shows it and the check of what it holds, a wait on a condition with a deadline, and a runner for each deployable's real
// `main`, for the tests that start them as separate processes.
import { fileURLToPath } from "node:url";
import { ServiceProcessRunner } from "@sagaworks/service-kit/testing";
import type { RunningSystem } from "@sagaworks/system";
import { expect } from "vitest";

/** An account as `GET /accounts/:id` shows it. */
export interface Account {
  creditLimitCents: number;
  availableCents: number;
  reservedCents: number;
  spentCents: number;
  reservations: { orderId: string; amountCents: number; status: string }[];
}

/** POSTs `body` as JSON to `url` with the bearer `token`. */
export function post(url: string, body: unknown, token: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

/** `customerId`'s account on `s`. */
export async function readAccount(s: RunningSystem, customerId: string): Promise<Account> {
  return (await (await fetch(`${s.urls.account}/accounts/${customerId}`)).json()) as Account;
}

/**
 * Asserts that `customerId`'s account holds exactly these [order id, amount] reservations, and
 * that its reserved and available amounts agree with them and with its limit.
 */
export async function expectHolds(
  s: RunningSystem,
  customerId: string,
  reservations: Array<[string, number]>,
): Promise<void> {
  const now = await readAccount(s, customerId);
  const held = now.reservations.filter((r) => r.status === "RESERVED");
  expect(
    held.map((r) => [r.orderId, r.amountCents]).sort(),
    JSON.stringify(now.reservations),
  ).toEqual(reservations.sort());
  expect(now.reservedCents).toBe(held.reduce((sum, r) => sum + r.amountCents, 0));
  expect(now.availableCents + now.reservedCents).toBe(now.creditLimitCents);
}

/** The first value `probe` gives that is not undefined, polled every 50 ms for `ms` (30 s). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The deployables' entry files, as operators run them. */
const main = (path: string) =>
  fileURLToPath(new URL(`../../../services/${path}/src/main.ts`, import.meta.url));

/** A process runner per deployable, for one test file; call each one's `cleanup()` after a test. */
export function deployableRunners() {
  return {
    orchestrator: new ServiceProcessRunner(main("orchestrator")),
    order: new ServiceProcessRunner(main("order")),
    account: new ServiceProcessRunner(main("account")),
    customer: new ServiceProcessRunner(main("customer")),
  };
}

// What the direct path's tests share (not exported from the package).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";

/** What `promise` rejects with, or undefined when it fulfils. */
export function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** The direct path's failure is the SDK's own: same name, same class. */
export function expectTheSdksError(direct: unknown, viaSdk: unknown): void {
  expect((viaSdk as Error | undefined)?.name).toBeTruthy();
  expect((direct as Error | undefined)?.name).toBe((viaSdk as Error).name);
  expect((direct as Error).constructor).toBe((viaSdk as Error).constructor);
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return port;
}

// The service as operators run it: `node src/main.ts`, configured by the environment only.
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { customer } from "@sagaworks/contracts";
import { createTestDatabase } from "@sagaworks/platform/testing";
import { startServiceProcess } from "@sagaworks/service-kit/testing";
import { afterEach, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const running: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function run(env: Record<string, string>) {
  const started = startServiceProcess(main, env);
  running.push(started.child);
  return started;
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the customer service process", () => {
  it("starts seeded, serves the contract, and stops cleanly on SIGTERM", async () => {
    // The process owns its schema; the test database only names it and drops it afterwards.
    const db = await createTestDatabase("customer process", process.env);
    cleanups.push(() => db.drop());
    const { child, lines, exited } = run({
      PORT: "0",
      CUSTOMER_DB_SCHEMA: db.schema,
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    });
    const ready = await waitFor(
      () => lines.find((line) => line.msg === "customer ready"),
      "customer ready",
    );
    expect(ready.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const response = await fetch(`${ready.address}/customers/cust-ada`);
    expect(response.status).toBe(200);
    expect(customer.strict().parse(await response.json()).id).toBe("cust-ada");

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(lines.map((line) => line.msg)).toContain("shut down");
  });

  it("refuses to start with every configuration problem listed", async () => {
    const { lines, exited } = run({
      PORT: "eighty",
      CUSTOMER_SEED: "sometimes",
      CUSTOMER_DB_SCHEMA: "Bad-Schema",
    });
    expect(await exited).toBe(1);
    const fatal = lines.find((line) => line.level === 60) as { err: { message: string } };
    for (const variable of ["PORT", "CUSTOMER_SEED", "CUSTOMER_DB_SCHEMA"]) {
      expect(fatal.err.message).toContain(variable);
    }
  });
});

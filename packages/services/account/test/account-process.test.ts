// The service as operators run it: `node src/main.ts`, configured by the environment only.
import { fileURLToPath } from "node:url";
import { waitFor } from "@sagaworks/participant-sdk/testing";
import { ServiceProcessRunner } from "@sagaworks/service-kit/testing";
import { afterEach, describe, expect, it } from "vitest";

const runner = new ServiceProcessRunner(fileURLToPath(new URL("../src/main.ts", import.meta.url)));
afterEach(() => runner.cleanup());
const run = (env: Record<string, string>) => runner.run(env);
const testSchema = (testName: string) => runner.schema(testName);

describe("the account service process", () => {
  it("starts on the embedded broker, is ready, and stops cleanly on SIGTERM", async () => {
    // The process opens its own database; on real Postgres the test names its schema and drops
    // it afterwards, while embedded PGlite vanishes with the process.
    const schema = await testSchema("account process");
    const { child, lines, exited } = run({
      PORT: "0",
      ACCOUNT_DB_SCHEMA: schema,
      SAGAWORKS_ENV_PREFIX: "proc",
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    });
    const ready = await waitFor(() => lines.find((line) => line.msg === "account ready"), {
      // Opening embedded PGlite (initdb in WebAssembly) alone can take 15 s on a busy machine.
      timeoutMs: 90_000,
      description: "account ready",
    });
    expect(lines.find((line) => line.msg === "account service started")).toMatchObject({
      broker: "embedded",
      schema: schema,
    });
    const readiness = await fetch(`${ready.address}/ready`);
    expect(await readiness.json()).toEqual({ status: "ready" });
    expect((await fetch(`${ready.address}/accounts/none`)).status).toBe(404);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(lines.map((line) => line.msg)).toContain("shut down");
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  }, 120_000);

  it("refuses to start with every configuration problem listed", async () => {
    const { lines, exited } = run({ PORT: "eighty", ACCOUNT_DB_SCHEMA: "Bad-Schema" });
    expect(await exited).toBe(1);
    const fatal = lines.find((line) => line.level === 60) as { err: { message: string } };
    for (const variable of ["PORT", "ACCOUNT_DB_SCHEMA"]) {
      expect(fatal.err.message).toContain(variable);
    }
  });
});

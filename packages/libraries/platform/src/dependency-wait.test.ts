import { describe, expect, it } from "vitest";
import { classifyDependencyError, DependencyWaiter } from "./dependency-wait.ts";
import { silentLogger } from "./logger.ts";

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });
const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe("classifyDependencyError", () => {
  it.each([
    ["connection refused", withCode("ECONNREFUSED")],
    ["connection refused", new AggregateError([withCode("ECONNREFUSED")], "")],
    ["timed out", withCode("ETIMEDOUT")],
    ["host not found", withCode("ENOTFOUND")],
    ["database starting up", withCode("57P03", "the database system is starting up")],
    ["database shutting down", withCode("57P01")],
    ["database has too many connections", withCode("53300")],
    ["database connection failed", withCode("08006")],
    ["database connection closed", new Error("Connection terminated unexpectedly")],
    ["broker answered 503", awsError("ServiceUnavailable", 503)],
    ["broker throttling", awsError("ThrottlingException", 400)],
    ["timed out", Object.assign(new Error("pool"), { name: "KnexTimeoutError" })],
    ["timed out", new Error("could not open", { cause: new Error("timeout expired") })],
  ])("waits out %s", (reason, error) => {
    expect(classifyDependencyError(error)).toEqual({ transient: true, reason });
  });

  it.each([
    ["queue or topic does not exist", awsError("QueueDoesNotExist", 400)],
    ["broker refused the credentials", awsError("InvalidClientTokenId", 403)],
    ["database refused the credentials", withCode("28P01")],
    ["database does not exist", withCode("3D000")],
  ])("stops on %s", (reason, error) => {
    expect(classifyDependencyError(error)).toEqual({ transient: false, reason });
  });

  it("follows the cause of a wrapper, and stops on what it does not know", () => {
    const wrapped = new Error("could not open", { cause: withCode("ECONNREFUSED") });
    expect(classifyDependencyError(wrapped).transient).toBe(true);
    expect(classifyDependencyError(new Error('relation "x" does not exist'))).toEqual({
      transient: false,
      reason: 'relation "x" does not exist',
    });
  });
});

describe("DependencyWaiter", () => {
  it("retries transient failures with a growing, capped delay and says what it waits for", async () => {
    const waiter = new DependencyWaiter({
      logger: silentLogger(),
      initialDelayMs: 1,
      maxDelayMs: 4,
      random: () => 1,
    });
    const seen: (string | undefined)[] = [];
    let calls = 0;
    const result = await waiter.waitFor("database", async () => {
      seen.push(waiter.waiting?.reason);
      calls++;
      if (calls < 5) throw withCode("ECONNREFUSED");
      return "open";
    });
    expect(result).toBe("open");
    expect(calls).toBe(5);
    expect(seen).toEqual([undefined, ...Array(4).fill("connection refused")]);
    expect(waiter.waiting).toBeUndefined();
  });

  it("throws a permanent failure at once", async () => {
    const waiter = new DependencyWaiter({ logger: silentLogger(), initialDelayMs: 1 });
    let calls = 0;
    await expect(
      waiter.waitFor("broker", async () => {
        calls++;
        throw awsError("QueueDoesNotExist", 400);
      }),
    ).rejects.toThrow("QueueDoesNotExist");
    expect(calls).toBe(1);
  });

  it("ends a wait when stopped, with the last failure", async () => {
    const waiter = new DependencyWaiter({ logger: silentLogger(), initialDelayMs: 60_000 });
    const waiting = waiter.waitFor("database", async () => {
      throw withCode("ECONNREFUSED", "connect ECONNREFUSED");
    });
    while (!waiter.waiting) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(waiter.waiting).toMatchObject({ dependency: "database", attempts: 1 });
    waiter.stop();
    await expect(waiting).rejects.toThrow("connect ECONNREFUSED");
  });
});

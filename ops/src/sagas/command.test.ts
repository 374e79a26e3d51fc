import { describe, expect, it } from "vitest";
import { UsageError } from "../command.ts";
import { describeWork, expectation } from "./command.ts";
import type { OrchestratorClient, SagaView } from "./orchestrator-client.ts";

const work = (step: string, attempt: number) => ({
  step,
  attempt,
  compensation: false,
  waitingFor: "reply",
  attemptBase: 0,
  timerId: "",
  idempotencyKey: `k:${step}`,
});

/** An orchestrator client that knows one saga waiting on `pending`. */
function knowing(pending: Record<string, ReturnType<typeof work>>): OrchestratorClient {
  const saga = { id: "s-1", status: "running", pending } as unknown as SagaView;
  return { getSaga: async () => saga } as unknown as OrchestratorClient;
}

const io = { stdout: () => {}, stderr: () => {} };

describe("ops sagas <action> without --step", () => {
  it("expects the one step the saga waits on", async () => {
    const expected = await expectation(
      knowing({ "reserve-credit": work("reserve-credit", 2) }),
      "s-1",
      "retry",
      {},
      io as never,
    );
    expect(expected).toEqual({ step: "reserve-credit", attempt: 2, compensation: false });
  });

  it("refuses to guess while a parallel group waits on several steps, and names each", async () => {
    const action = expectation(
      knowing({ a: work("a", 1), b: work("b", 3) }),
      "s-1",
      "compensate",
      {},
      io as never,
    );
    await expect(action).rejects.toBeInstanceOf(UsageError);
    await expect(action).rejects.toThrow(
      "the saga waits on 2 steps (a parallel group): name the one to compensate with --step a --attempt 1 | --step b --attempt 3",
    );
  });
});

describe("ops sagas show: the pending work", () => {
  it("names the steps a chain sent along, where the saga may be held too", () => {
    expect(describeWork(work("reserve-credit", 2))).toBe("reserve-credit attempt 2, for a reply");
    expect(
      describeWork({ ...work("create-order", 1), chain: ["reserve-credit", "approve-order"] }),
    ).toBe(
      "create-order attempt 1, for a reply (chained: reserve-credit, approve-order sent along)",
    );
  });
});

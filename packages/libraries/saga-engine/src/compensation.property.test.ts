// Property test of issue 9 point 11: whatever a participant answers to a compensation, and in
// whatever order timers fire, a compensation is counted as done only on a reply its command
// declares. A saga whose compensations only ever fail never ends `compensated`; once the retry
// budget is spent it parks in `needs-intervention`.
import type { JsonValue } from "@sagaworks/saga-definition";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activeWork, type SagaSnapshot } from "./model.ts";
import { SagaDriver } from "./testing/driver.ts";
import { compileFixture } from "./testing/fixture-saga.ts";

const compiled = compileFixture();
const SAGA = "00000000-0000-4000-8000-000000000001";
const UNDONE: Record<string, string> = { a: "AUndone", b: "BUndone" };

type Answer =
  | { k: "undone" }
  | { k: "failed"; code: string }
  | { k: "other"; name: string }
  | { k: "fire" };

const answerArb: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Answer>({ k: "undone" }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("failed" as const),
      code: fc.constantFrom("DB_DOWN", "UNEXPECTED"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("other" as const),
      name: fc.constantFrom("ADone", "BDone", "Declined", "Whatever"),
    }),
  },
  { weight: 3, arbitrary: fc.constant<Answer>({ k: "fire" }) },
);

/** Runs to the pivot and declines it, so `b` then `a` are compensated. */
function compensating(): SagaDriver {
  const driver = new SagaDriver(compiled);
  driver.start();
  driver.http(200, { id: "thing-1" });
  driver.reply("ADone", { sagaId: SAGA });
  driver.reply("BDone", { sagaId: SAGA });
  driver.reply("Declined", { sagaId: SAGA });
  return driver;
}

function snap(driver: SagaDriver): SagaSnapshot {
  if (!driver.snapshot) throw new Error("no snapshot");
  return driver.snapshot;
}

describe("compensation replies (property)", () => {
  it("counts a compensation as done only on a reply its command declares", () => {
    fc.assert(
      fc.property(fc.array(answerArb, { maxLength: 80 }), fc.boolean(), (answers, giveUp) => {
        const driver = compensating();
        const undoneBy = new Set<string>();
        for (const answer of answers) {
          const before = snap(driver);
          const pending = activeWork(before);
          if (answer.k === "fire") {
            driver.fireNext();
          } else if (pending?.compensation) {
            const name =
              answer.k === "undone"
                ? (UNDONE[pending.step] as string)
                : answer.k === "failed"
                  ? "CommandFailed"
                  : answer.name;
            const payload: JsonValue =
              answer.k === "failed" ? { code: answer.code, message: "no" } : {};
            const result = driver.reply(name, payload);
            if (result.applied && answer.k === "undone") undoneBy.add(pending.step);
          }
          const after = snap(driver);
          for (const step of ["a", "b"]) {
            if (after.steps[step]?.status === "compensated") {
              expect(undoneBy.has(step), `${step} compensated without its reply`).toBe(true);
            }
          }
          if (after.status === "compensated") {
            expect([...undoneBy].sort()).toEqual(["a", "b"]);
          }
        }
        // Once nobody answers with success, the timers alone end in an operator's hands.
        if (giveUp) {
          for (let round = 0; round < 200 && snap(driver).status === "compensating"; round++) {
            if (activeWork(snap(driver))?.waitingFor === "reply") {
              driver.reply("CommandFailed", { code: "DB_DOWN", message: "no" });
            } else {
              driver.fireNext();
            }
          }
          const status = snap(driver).status;
          expect(status === "needs-intervention" || status === "compensated").toBe(true);
          if (status === "compensated") expect([...undoneBy].sort()).toEqual(["a", "b"]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

// A saga of every shape the engine must handle, compiled by the real compiler against a small
// contract registry: a read-only HTTP check, two compensatable commands, the pivot, and a
// retriable step after it.
import {
  type CompiledSaga,
  type ContractRegistry,
  compileSagaOrThrow,
} from "@sagaworks/saga-definition";
import { z } from "zod";

const ref = z.object({ sagaId: z.string() });
const ok = z.object({ sagaId: z.string() });

/** The contracts the fixture saga is checked against. */
export const fixtureContracts: ContractRegistry = {
  things: {
    endpoints: [
      {
        method: "GET",
        path: "/things/:id",
        responses: {
          200: { description: "found", body: z.object({ id: z.string() }) },
          404: { description: "unknown", body: z.object({ message: z.string() }) },
        },
      },
    ],
  },
  shop: {
    commands: {
      ReserveA: { payload: ref, replies: { ADone: ok } },
      UndoA: { payload: ref, replies: { AUndone: ok } },
      ReserveB: { payload: ref, replies: { BDone: ok, BRefused: ok }, errors: ["B_BROKEN"] },
      UndoB: { payload: ref, replies: { BUndone: ok } },
      Decide: { payload: ref, replies: { Decided: ok, Declined: ok } },
      Finish: { payload: ref, replies: { Finished: ok } },
    },
  },
};

/** A command step to the shop about the saga's id, timing out after 30 s; `settings` adds its role and retry. */
function shopStep(
  name: string,
  command: string,
  outcomes: { success: string[]; businessFailure?: string[] },
  settings: Record<string, unknown>,
) {
  return {
    name,
    kind: "command",
    service: "shop",
    command,
    payload: { sagaId: "$.sagaId" },
    outcomes,
    ...settings,
    timeout: "30s",
  };
}

/** The authored definition; tests change copies of it. */
export function fixtureDefinition() {
  return {
    name: "fixture",
    version: 1,
    description: "Every step shape",
    input: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    timeout: "10m",
    steps: [
      {
        name: "check",
        kind: "http",
        service: "things",
        request: { method: "GET", path: "/things/:id", params: { id: "$.input.id" } },
        outcomes: { success: [200], businessFailure: [404] },
        readOnly: true,
        retry: { maxAttempts: 2, initialDelay: "1s", jitter: "none" },
        timeout: "5s",
      },
      shopStep(
        "a",
        "ReserveA",
        { success: ["ADone"] },
        {
          compensation: {
            command: "UndoA",
            payload: { sagaId: "$.sagaId" },
            retry: { maxAttempts: 3, initialDelay: "1s", jitter: "none" },
          },
          retry: {
            maxAttempts: 3,
            initialDelay: "1s",
            backoffRate: 2,
            maxDelay: "3s",
            jitter: "none",
          },
        },
      ),
      shopStep(
        "b",
        "ReserveB",
        { success: ["BDone"], businessFailure: ["BRefused"] },
        {
          compensation: { command: "UndoB", payload: { sagaId: "$.sagaId" } },
          retry: { maxAttempts: 2, initialDelay: "1s", jitter: "none", nonRetryable: ["B_BROKEN"] },
        },
      ),
      shopStep(
        "decide",
        "Decide",
        { success: ["Decided"], businessFailure: ["Declined"] },
        {
          pivot: true,
          retry: { maxAttempts: 2, initialDelay: "1s", jitter: "none" },
        },
      ),
      shopStep(
        "finish",
        "Finish",
        { success: ["Finished"] },
        {
          retry: { maxAttempts: "unlimited", initialDelay: "1s", maxDelay: "1m", jitter: "full" },
        },
      ),
    ],
  };
}

/** Compiles a fixture definition (the default one unless given). */
export function compileFixture(definition: unknown = fixtureDefinition()): CompiledSaga {
  return compileSagaOrThrow(definition, { contracts: fixtureContracts });
}

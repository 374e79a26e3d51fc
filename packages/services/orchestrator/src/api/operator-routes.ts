import { operatorActionBodies, sagaIdParams } from "@sagaworks/orchestrator-api";
import type { JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { storableJson, storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import type { SagaPort } from "./ports.ts";

/** Options of {@link operatorRoutes}. */
export interface OperatorRoutesOptions {
  sagas: SagaPort;
}

// Every string and JSON value an action reads is narrowed to what Postgres can store.
const {
  resolve: resolveBody,
  operator: operatorBody,
  skip: skipBody,
  compensate: compensateBody,
  completeWait: completeWaitBody,
} = operatorActionBodies({ text: storableString, json: storableJson });

/**
 * The operator actions `POST /sagas/:id/{retry,skip,compensate,resolve,complete-wait,reopen-wait}`,
 * each audited.
 */
export const operatorRoutes: FastifyPluginAsyncZod<OperatorRoutesOptions> = async (
  app,
  options,
) => {
  const route = <Body extends z.ZodType>(
    action: "retry" | "skip" | "compensate" | "resolve" | "complete-wait" | "reopen-wait",
    body: Body,
    description: string,
    toEvent: (body: z.infer<Body>) => SagaEvent,
  ) =>
    app.post(
      `/sagas/:id/${action}`,
      { schema: { description, security: [{ bearer: [] }], params: sagaIdParams, body } },
      async (request, reply) => {
        const event = toEvent(request.body as z.infer<Body>);
        const outcome = await options.sagas.apply(request.params.id, event, {});
        if (outcome.kind === "unknown-saga") {
          throw OrchestratorErrors.create(
            OrchestratorErrorCode.sagaNotFound,
            `No saga with id ${request.params.id}.`,
          );
        }
        if (outcome.kind === "refused" || outcome.kind === "ignored") {
          const refused = "result" in outcome ? outcome.result.refused : undefined;
          return reply.code(409).send({
            code: refused?.code ?? OrchestratorErrorCode.actionRefused,
            message: refused?.message ?? ("result" in outcome ? outcome.result.note : "refused"),
          });
        }
        const result = "result" in outcome ? outcome.result : undefined;
        return {
          status: result?.snapshot.status,
          state: result?.snapshot.state,
          note: result?.note,
        };
      },
    );
  const moved =
    " Each action names what the operator saw the saga wait on (`expected`, from `snapshot.pending`); if the saga has moved on since, it is refused with 409 SAGA_MOVED_ON and what the saga does now.";
  route(
    "retry",
    operatorBody,
    `Run the current step or compensation again now, with a fresh retry budget.${moved}`,
    (b) => ({
      type: "operator",
      action: "retry",
      actor: b.actor,
      reason: b.reason,
      expected: b.expected,
    }),
  );
  route(
    "skip",
    skipBody,
    `Mark the current step done with the supplied output (or a stuck compensation done by hand), once it is parked or waiting to retry (STEP_IN_FLIGHT while its reply is awaited); refused for the pivot (PIVOT_NOT_SKIPPABLE): retry it.${moved}`,
    (b) => ({
      type: "operator",
      action: "skip",
      actor: b.actor,
      reason: b.reason,
      output: b.output as JsonValue,
      expected: b.expected,
    }),
  );
  route(
    "compensate",
    compensateBody,
    `Stop going forward and compensate; refused once the pivot has succeeded (PIVOT_PASSED), and while the pivot's outcome is unknown (PIVOT_OUTCOME_UNKNOWN) unless pivotOutcome states "not-applied".${moved}`,
    (b) => ({
      type: "operator",
      action: "compensate",
      actor: b.actor,
      reason: b.reason,
      expected: b.expected,
      ...(b.pivotOutcome ? { pivotOutcome: b.pivotOutcome } : {}),
    }),
  );
  route(
    "complete-wait",
    completeWaitBody,
    `Complete an await step's wait by hand, as if \`event\` had arrived with \`payload\`: its outcome (success or business failure) applies, and later steps read the payload. Also completes a wait whose deadline parked the saga; refused when the saga waits for no event (NOT_WAITING) or not for this one (EVENT_NOT_WAITED_FOR).${moved}`,
    (b) => ({
      type: "operator",
      action: "complete-wait",
      actor: b.actor,
      reason: b.reason,
      event: b.event,
      payload: b.payload as JsonValue,
      expected: b.expected,
    }),
  );
  route(
    "reopen-wait",
    operatorBody,
    `Open again an await step's wait that its deadline closed and parked the saga, with a fresh deadline (the next attempt); refused while it is still open (WAIT_STILL_OPEN).${moved}`,
    (b) => ({
      type: "operator",
      action: "reopen-wait",
      actor: b.actor,
      reason: b.reason,
      expected: b.expected,
    }),
  );
  route(
    "resolve",
    resolveBody,
    "Mark a saga that needs intervention as resolved by hand (`expected` is optional here).",
    (b) => ({
      type: "operator",
      action: "resolve",
      actor: b.actor,
      reason: b.reason,
      ...(b.expected ? { expected: b.expected } : {}),
    }),
  );
};

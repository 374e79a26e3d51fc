import type { JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { storableJson, storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import { bearerAuth } from "./auth.ts";
import type { SagaPort } from "./ports.ts";
import { sagaIdParams } from "./saga-routes.ts";

/** Options of {@link operatorRoutes}. */
export interface OperatorRoutesOptions {
  sagas: SagaPort;
  /** Bearer token every operator action requires. */
  apiToken: string;
}

const operatorBody = z.object({
  reason: storableString().trim().min(1, "say why").max(2000),
  actor: storableString().trim().min(1, "say who is acting").max(200),
});
const skipBody = operatorBody.extend({
  output: z.record(storableString(), storableJson(), {
    message: "must be the step's output object",
  }),
});

/** The operator actions `POST /sagas/:id/{retry,skip,compensate,resolve}`, each audited. */
export const operatorRoutes: FastifyPluginAsyncZod<OperatorRoutesOptions> = async (
  app,
  options,
) => {
  app.addHook("onRequest", bearerAuth(options.apiToken));
  const route = <Body extends z.ZodType>(
    action: "retry" | "skip" | "compensate" | "resolve",
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
  const basic = (action: "retry" | "compensate" | "resolve") => (b: z.infer<typeof operatorBody>) =>
    ({ type: "operator", action, actor: b.actor, reason: b.reason }) as const;
  route(
    "retry",
    operatorBody,
    "Run the current step or compensation again now, with a fresh retry budget.",
    basic("retry"),
  );
  route(
    "skip",
    skipBody,
    "Mark the current step done with the supplied output (or a stuck compensation done by hand); refused for the pivot (PIVOT_NOT_SKIPPABLE): retry it or compensate.",
    (b) => ({
      type: "operator",
      action: "skip",
      actor: b.actor,
      reason: b.reason,
      output: b.output as JsonValue,
    }),
  );
  route(
    "compensate",
    operatorBody,
    "Stop going forward and compensate; refused once the pivot has succeeded.",
    basic("compensate"),
  );
  route(
    "resolve",
    operatorBody,
    "Mark a saga that needs intervention as resolved by hand.",
    basic("resolve"),
  );
};

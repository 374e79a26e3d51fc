// The read-only dead-letter view: the deployment's DLQs with their depth, and one DLQ's messages
// grouped, joined to their sagas and planned as `ops dlq replay` would (a dry run). Nothing here
// sends, deletes or changes a message; the replay itself stays an `ops` command, which the view
// spells out.

import type { DeadLetterReader } from "@sagaworks/dead-letters";
import {
  deadLetterQueueListBody,
  deadLetterQueueViewBody,
  errorBody,
} from "@sagaworks/orchestrator-api";
import { storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";

/** Options of {@link deadLetterRoutes}. */
export interface DeadLetterRoutesOptions {
  deadLetters: Pick<DeadLetterReader, "list" | "read">;
}

/** `GET /dead-letters` and `GET /dead-letters/:queue`, registered inside the API's protected scope. */
export const deadLetterRoutes: FastifyPluginAsyncZod<DeadLetterRoutesOptions> = async (
  app,
  options,
) => {
  const { deadLetters } = options;

  app.get(
    "/dead-letters",
    {
      schema: {
        description:
          "Every DLQ of the deployment (each working queue's -dlq, from the topology) with its approximate depth. Reads queue attributes only; no message is received.",
        security: [{ bearer: [] }],
        response: { 200: deadLetterQueueListBody, 401: errorBody },
      },
    },
    async () => ({ queues: await deadLetters.list() }),
  );

  app.get(
    "/dead-letters/:queue",
    {
      schema: {
        description:
          "One DLQ (by its name or its source queue's name), read without taking anything out: its messages grouped by verdict, type, saga step and failure reason, each joined to its saga's state, with the dry-run replay plan of `ops dlq replay` and the commands that act on it. The read hides messages for about a second (30 s at most) and then makes them visible again.",
        security: [{ bearer: [] }],
        params: z.object({ queue: storableString().min(1).max(80) }),
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(500),
          includeStale: z
            .enum(["true", "false"], { message: "must be true or false" })
            .default("false")
            .transform((value) => value === "true"),
        }),
        response: { 200: deadLetterQueueViewBody, 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { queue } = request.params;
      const outcome = await deadLetters.read(queue, request.query);
      if (outcome.kind === "unknown") {
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.deadLetterQueueUnknown,
          `No DLQ named "${queue}" in this deployment's topology; its DLQs are: ${outcome.known.join(", ")}.`,
          { queue, known: outcome.known },
        );
      }
      if (outcome.kind === "missing") {
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.deadLetterQueueMissing,
          `The DLQ ${outcome.queue} is in the topology but not on the broker; apply the topology (pnpm topology apply).`,
          { queue: outcome.queue },
        );
      }
      return outcome.view;
    },
  );
};

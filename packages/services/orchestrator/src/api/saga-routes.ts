import {
  errorBody,
  sagaDetailSchema,
  sagaIdParams,
  sagaPageBody,
  sagaStartedBody,
} from "@sagaworks/orchestrator-api";
import type { JsonValue } from "@sagaworks/saga-definition";
import { SAGA_STATUSES } from "@sagaworks/saga-engine";
import {
  cursorTimestamp,
  decodePageCursor,
  encodePageCursor,
  pageQueryShape,
  storableJson,
  storableString,
} from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import { inputCapacityProblems } from "./input-capacity.ts";
import type { DefinitionPort, SagaPort } from "./ports.ts";
import { detailView, summaryView } from "./saga-view.ts";

/** Options of {@link sagaRoutes}. */
export interface SagaRoutesOptions {
  sagas: SagaPort;
  definitions: DefinitionPort;
}

const SAGA_CURSOR = "sagas";
const sagaPosition = z.tuple([cursorTimestamp, z.uuid()]);

const listQuery = z.object({
  status: z.enum(SAGA_STATUSES).optional(),
  name: storableString().min(1).max(128).optional(),
  ...pageQueryShape,
});

/**
 * Starting and reading sagas: `POST /sagas/:name`, `GET /sagas/:id`, `GET /sagas`. Registered
 * inside the API's protected scope: a saga's input and history hold customers' data.
 */
export const sagaRoutes: FastifyPluginAsyncZod<SagaRoutesOptions> = async (app, options) => {
  const { sagas, definitions } = options;

  app.post(
    "/sagas/:name",
    {
      schema: {
        description:
          "Start a saga. With an Idempotency-Key header, a repeated start returns the same saga.",
        security: [{ bearer: [] }],
        params: z.object({ name: storableString().min(1).max(128) }),
        headers: z
          .object({ "idempotency-key": storableString().min(1).max(200).optional() })
          .passthrough(),
        body: z.object({ input: storableJson() }),
        response: {
          200: sagaStartedBody,
          201: sagaStartedBody,
          400: errorBody,
          401: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      const saga = definitions.deployed(request.params.name);
      if (!saga) {
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.definitionUnknown,
          `No saga named "${request.params.name}" is deployed.`,
          { deployed: definitions.allDeployed().map((s) => s.name) },
        );
      }
      const input = request.body.input as JsonValue;
      // The schema is checked by the runtime's start, for every caller; the size only here, as
      // code may start a saga whose messages outgrow the broker (the relay then parks them).
      const tooLarge = inputCapacityProblems(saga, input);
      if (tooLarge.length > 0) {
        const first = tooLarge[0] as (typeof tooLarge)[number];
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.inputTooLarge,
          `The input cannot be carried by ${saga.name}'s messages: step ${first.step} sends ${first.inputBytes} bytes of it in ${first.command}, and a command carries at most ${first.limitBytes}. Send a reference to large data instead of the data.`,
          tooLarge.map((problem) => ({ path: "input", ...problem })),
        );
      }
      const key = request.headers["idempotency-key"];
      const started = await sagas.start(
        saga,
        input,
        key ? { idempotencyKey: `${saga.name}:${key}`, actor: "api" } : { actor: "api" },
      );
      return reply.code(started.created ? 201 : 200).send(started);
    },
  );

  app.get(
    "/sagas/:id",
    {
      schema: {
        description:
          "A saga's state, its history (oldest first) and the messages parked for it. A saga pruned after its retention period answers 410 SAGA_ARCHIVED, with where its record was archived.",
        security: [{ bearer: [] }],
        params: sagaIdParams,
        response: { 200: sagaDetailSchema, 401: errorBody, 404: errorBody, 410: errorBody },
      },
    },
    async (request) => detailView(await sagas.load(request.params.id)),
  );

  app.get(
    "/sagas",
    {
      schema: {
        description: "Sagas, newest first, filtered by status and name; paginated by cursor.",
        security: [{ bearer: [] }],
        querystring: listQuery,
        response: {
          200: sagaPageBody,
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (request) => {
      const { status, name, limit, cursor } = request.query;
      const after = cursor ? decodePageCursor(cursor, SAGA_CURSOR, sagaPosition) : undefined;
      const rows = await sagas.list({
        status,
        name,
        limit: limit + 1,
        after: after ? { createdAt: after[0], id: after[1] } : undefined,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(summaryView),
        nextCursor:
          rows.length > limit && last
            ? encodePageCursor(SAGA_CURSOR, [last.createdAt.toISOString(), last.id])
            : null,
      };
    },
  );
};

// `GET /sagas/in-flight`: how many sagas each stored definition version still runs, by status and
// state. `saga diff --orchestrator-url` reads it to say whether an old version (and the contracts
// it uses) must still be kept; one grouped query instead of paging through `GET /sagas`.
import { errorBody, IN_FLIGHT_STATUSES, inFlightBody } from "@sagaworks/orchestrator-api";
import type { SagaStatus } from "@sagaworks/saga-engine";
import { storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { InspectorPort } from "./ports.ts";

/** Options of {@link inFlightRoutes}. */
export interface InFlightRoutesOptions {
  inspector: Pick<InspectorPort, "inFlight">;
}

/** The in-flight counts route; registered inside the API's protected scope, like every read of sagas. */
export const inFlightRoutes: FastifyPluginAsyncZod<InFlightRoutesOptions> = async (
  app,
  options,
) => {
  app.get(
    "/sagas/in-flight",
    {
      schema: {
        description:
          "Unfinished sagas (running, compensating, needs-intervention) counted by name, definition version and hash, status and state; a version with no row here can be retired.",
        security: [{ bearer: [] }],
        querystring: z.object({ name: storableString().min(1).max(128).optional() }),
        response: {
          200: inFlightBody,
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (request) => ({
      statuses: IN_FLIGHT_STATUSES,
      items: (await options.inspector.inFlight(IN_FLIGHT_STATUSES, request.query.name)).map(
        (row) => ({ ...row, status: row.status as SagaStatus }),
      ),
    }),
  );
};

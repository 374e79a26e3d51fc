import { renderMermaid } from "@sagaworks/saga-definition";
import { storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";
import type { DefinitionPort } from "./ports.ts";

/** Options of {@link definitionRoutes}. */
export interface DefinitionRoutesOptions {
  definitions: DefinitionPort;
}

/** `GET /definitions` and `GET /definitions/:name/:version`. */
export const definitionRoutes: FastifyPluginAsyncZod<DefinitionRoutesOptions> = async (
  app,
  options,
) => {
  const { definitions } = options;
  app.get(
    "/definitions",
    {
      schema: {
        description: "Every stored definition; `deployed` marks what new sagas start on.",
        security: [{ bearer: [] }],
      },
    },
    async () =>
      definitions.all().map((saga) => ({
        name: saga.name,
        version: saga.version,
        hash: saga.hash,
        deployed: definitions.deployed(saga.name)?.hash === saga.hash,
      })),
  );
  app.get(
    "/definitions/:name/:version",
    {
      schema: {
        description: "A compiled definition and its Mermaid diagram.",
        security: [{ bearer: [] }],
        params: z.object({
          name: storableString().min(1),
          version: z.coerce.number().int().positive(),
        }),
      },
    },
    async (request) => {
      const saga = definitions
        .all()
        .find((s) => s.name === request.params.name && s.version === request.params.version);
      if (!saga) {
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.definitionUnknown,
          `No definition ${request.params.name} v${request.params.version}.`,
        );
      }
      return { compiled: saga, mermaid: renderMermaid(saga) };
    },
  );
};

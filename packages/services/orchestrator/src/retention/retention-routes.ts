import type { Knex } from "@sagaworks/platform";
import { storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { bearerAuth } from "../api/auth.ts";
import { errorBody } from "../api/saga-routes.ts";
import { type PauseState, readPause, writePause } from "./retention-store.ts";

/** Options of {@link retentionRoutes}. */
export interface RetentionRoutesOptions {
  knex: Knex;
  apiToken: string;
  /** This replica's settings, shown as they are. */
  settings: {
    retentionMs: number;
    inboxRetentionMs: number;
    archiveIndexRetentionMs: number;
    archive: string;
    pausedByConfig: boolean;
  };
  clock: () => Date;
  /** Called once a pause or resume is written (the paused gauge of this replica follows it). */
  onPauseChanged?: (paused: boolean) => void;
}

const retentionView = z.object({
  paused: z.boolean(),
  pausedBy: z.string().nullable(),
  pausedAt: z.string().nullable(),
  pausedByConfig: z.boolean(),
  retentionMs: z.number(),
  inboxRetentionMs: z.number(),
  archiveIndexRetentionMs: z.number(),
  archive: z.string(),
});

/**
 * The pause switch of pruning, shared by every replica (`GET /retention`,
 * `POST /retention/pause`, `POST /retention/resume`). A pause takes effect at the next batch:
 * the one under way finishes its archive write and its delete together.
 */
export const retentionRoutes: FastifyPluginAsyncZod<RetentionRoutesOptions> = async (
  app,
  options,
) => {
  app.addHook("onRequest", bearerAuth(options.apiToken));
  const view = (state: PauseState) => ({
    paused: state.paused,
    pausedBy: state.pausedBy,
    pausedAt: state.pausedAt?.toISOString() ?? null,
    ...options.settings,
  });
  app.get(
    "/retention",
    {
      schema: {
        description: "Whether pruning of finished sagas is paused, and this replica's settings.",
        security: [{ bearer: [] }],
        response: { 200: retentionView, 401: errorBody },
      },
    },
    async () => view(await readPause(options.knex)),
  );
  const body = z.object({ actor: storableString().trim().min(1, "say who is acting").max(200) });
  for (const action of ["pause", "resume"] as const) {
    app.post(
      `/retention/${action}`,
      {
        schema: {
          description:
            action === "pause"
              ? "Pauses pruning on every replica until resumed (the batch under way finishes)."
              : "Resumes pruning; the next run starts at its usual interval.",
          security: [{ bearer: [] }],
          body,
          response: { 200: retentionView, 400: errorBody, 401: errorBody },
        },
      },
      async (request) => {
        const state = await writePause(
          options.knex,
          action === "pause",
          request.body.actor,
          options.clock(),
        );
        options.onPauseChanged?.(state.paused);
        request.log.info({ actor: request.body.actor }, `retention ${action}d`);
        return view(state);
      },
    );
  }
};

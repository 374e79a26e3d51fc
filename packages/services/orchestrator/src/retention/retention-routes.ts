import { errorBody, retentionViewBody as retentionView } from "@sagaworks/orchestrator-api";
import { storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PauseState } from "./retention-store.ts";

/** The pause switch shared by every replica, as the routes see it (the store behind it). */
export interface RetentionSwitch {
  read(): Promise<PauseState>;
  /** Writes the pause (true) or resume (false) by `actor` at `at`; the state as written. */
  write(paused: boolean, actor: string, at: Date): Promise<PauseState>;
}

/**
 * Options of {@link retentionRoutes}. The routes are registered inside the API's protected
 * scope, which adds the bearer check.
 */
export interface RetentionRoutesOptions {
  control: RetentionSwitch;
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

/**
 * The pause switch of pruning, shared by every replica (`GET /retention`,
 * `POST /retention/pause`, `POST /retention/resume`). A pause takes effect at the next batch:
 * the one under way finishes its archive write and its delete together.
 */
export const retentionRoutes: FastifyPluginAsyncZod<RetentionRoutesOptions> = async (
  app,
  options,
) => {
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
    async () => view(await options.control.read()),
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
        const state = await options.control.write(
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

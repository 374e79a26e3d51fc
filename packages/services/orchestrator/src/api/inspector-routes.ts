// What the web inspector needs beyond the core API: the built single-page app at /ui (open, in a
// scope of its own), and the reads it shows that the core routes do not give (search with age and
// text filters, counts per status, a saga's pending timers and unsent outbox rows), over the
// inspector port and behind the API's bearer scope like every other read.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import {
  errorBody,
  outboxRowSchema,
  sagaCountsBody,
  sagaIdParams,
  sagaSearchPageBody,
  timerRowSchema,
} from "@sagaworks/orchestrator-api";
import { SAGA_STATUSES } from "@sagaworks/saga-engine";
import {
  cursorTimestamp,
  decodePageCursor,
  encodePageCursor,
  registerPagePolicy,
  storableString,
} from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { InspectorPort } from "./ports.ts";

/** Options of {@link inspectorRoutes}. */
export interface InspectorRoutesOptions {
  inspector: Pick<InspectorPort, "search" | "counts" | "timers" | "outbox">;
}

/** Options of {@link inspectorPage}. */
export interface InspectorPageOptions {
  /** Folder of the built inspector (the orchestrator defaults it to {@link defaultInspectorDir}). */
  uiDir: string;
}

/** Where `pnpm --filter @sagaworks/inspector build` writes the app. */
export const defaultInspectorDir = fileURLToPath(
  new URL("../../../inspector/dist", import.meta.url),
);

const statuses = SAGA_STATUSES;
const sagaStatus = z.enum(statuses);
const filterShape = {
  name: storableString().min(1).max(128).optional(),
  createdAfter: z.iso
    .datetime({ offset: true })
    .transform((text) => new Date(text))
    .optional(),
};
const searchQuery = z.object({
  ...filterShape,
  status: sagaStatus.optional(),
  q: storableString().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(25),
  cursor: storableString().max(1000).optional(),
});
const iso = (value: Date) => value.toISOString();
const SEARCH_CURSOR = "sagas-search";
const searchPosition = z.tuple([cursorTimestamp, z.uuid()]);

/**
 * The built inspector at `GET /ui/*` (503 with the build command when it is not built), in its
 * own scope with the strict browser policy. Open: the page holds no data until it is given the
 * API token.
 */
export const inspectorPage: FastifyPluginAsyncZod<InspectorPageOptions> = async (app, options) => {
  const { uiDir } = options;
  // The inspector holds the API token and the operator buttons, so it loads nothing from
  // elsewhere, runs no inline script and refuses to be framed. Mermaid writes a <style> into each
  // SVG it renders, hence inline styles (not scripts) are allowed on this page.
  await registerPagePolicy(app, { inlineStyles: true });
  // Relative asset paths in the app resolve against /ui/, not /.
  app.get("/ui", { schema: { hide: true } }, async (_request, reply) =>
    reply.redirect("/ui/", 301),
  );
  if (existsSync(uiDir)) {
    await app.register(fastifyStatic, { root: uiDir, prefix: "/ui/" });
  } else {
    app.get("/ui/*", { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).send({
        code: "INSPECTOR_NOT_BUILT",
        message: `The inspector is not built (no ${uiDir}); run: node scripts/bootstrap.mjs inspector:build`,
      }),
    );
  }
};

/**
 * The inspector's reads: `GET /sagas/search`, `GET /sagas/counts`, `GET /sagas/:id/timers`,
 * `GET /sagas/:id/outbox`. Registered inside the API's protected scope, which checks the token.
 */
export const inspectorRoutes: FastifyPluginAsyncZod<InspectorRoutesOptions> = async (
  app,
  options,
) => {
  const { inspector } = options;

  app.get(
    "/sagas/search",
    {
      schema: {
        description:
          "Sagas, newest first, filtered by name, status, age (createdAfter) and text (`q`: a saga id prefix, or text anywhere in the input); paginated by cursor.",
        security: [{ bearer: [] }],
        querystring: searchQuery,
        response: {
          200: sagaSearchPageBody,
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (request) => {
      const { status, q, limit, cursor, name, createdAfter } = request.query;
      const after = cursor ? decodePageCursor(cursor, SEARCH_CURSOR, searchPosition) : undefined;
      const rows = await inspector.search({
        status,
        name,
        createdAfter,
        text: q,
        limit: limit + 1,
        after: after ? { createdAt: after[0], id: after[1] } : undefined,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((row) => ({
          ...row,
          createdAt: iso(row.createdAt),
          updatedAt: iso(row.updatedAt),
        })),
        nextCursor:
          rows.length > limit && last
            ? encodePageCursor(SEARCH_CURSOR, [iso(last.createdAt), last.id])
            : null,
      };
    },
  );

  app.get(
    "/sagas/counts",
    {
      schema: {
        description: "How many sagas are in each status, filtered by name and age.",
        security: [{ bearer: [] }],
        querystring: z.object(filterShape),
        response: {
          200: sagaCountsBody,
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (request) => {
      const counts = await inspector.counts(request.query);
      const byStatus = Object.fromEntries(statuses.map((s) => [s, counts[s] ?? 0])) as Record<
        (typeof statuses)[number],
        number
      >;
      return { total: Object.values(byStatus).reduce((sum, n) => sum + n, 0), byStatus };
    },
  );

  app.get(
    "/sagas/:id/timers",
    {
      schema: {
        description:
          "The saga's pending timers (step timeouts, retry delays, its deadline), soonest first.",
        security: [{ bearer: [] }],
        params: sagaIdParams,
        response: { 200: z.array(timerRowSchema), 400: errorBody, 401: errorBody },
      },
    },
    async (request) => {
      const timers = await inspector.timers(request.params.id);
      return timers.map((timer) => ({
        id: timer.id,
        fireAt: iso(timer.fireAt),
        event: timer.event,
      }));
    },
  );

  app.get(
    "/sagas/:id/outbox",
    {
      schema: {
        description:
          "The saga's outbox rows (messages and HTTP calls) still in the table, oldest first: not yet sent, or sent and deleted with the next commit.",
        security: [{ bearer: [] }],
        params: sagaIdParams,
        response: { 200: z.array(outboxRowSchema), 400: errorBody, 401: errorBody },
      },
    },
    async (request) => {
      const rows = await inspector.outbox(request.params.id);
      return rows.map((row) => ({
        ...row,
        availableAt: iso(row.availableAt),
        createdAt: iso(row.createdAt),
      }));
    },
  );
};

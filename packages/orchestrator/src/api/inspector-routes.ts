// What the web inspector needs beyond the core API: the built single-page app at /ui, and the
// reads it shows that the core routes do not give (search with age and text filters, counts per
// status, a saga's pending timers and unsent outbox rows). A plugin of its own, registered with
// one line in app.ts, so it stays out of the way of the core routes.
import { timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { Database } from "@sagaworks/platform";
import { HttpError } from "@sagaworks/service-kit";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";

/** Options of {@link inspectorRoutes}. */
export interface InspectorRoutesOptions {
  db: Pick<Database, "knex">;
  /** The API token; every read here requires it, like the operator actions. */
  apiToken: string;
  /** Folder of the built inspector; defaults to packages/inspector/dist of this repository. */
  uiDir?: string;
}

/** Where `pnpm --filter @sagaworks/inspector build` writes the app. */
export const defaultInspectorDir = fileURLToPath(
  new URL("../../../inspector/dist", import.meta.url),
);

const statuses = [
  "running",
  "compensating",
  "completed",
  "compensated",
  "failed",
  "needs-intervention",
  "resolved",
] as const;
const sagaStatus = z.enum(statuses);
const errorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
const sagaIdParams = z.object({ id: z.uuid({ message: "must be a saga id (UUID)" }) });
const filterShape = {
  name: z.string().min(1).max(128).optional(),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
};
const searchQuery = z.object({
  ...filterShape,
  status: sagaStatus.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(25),
  cursor: z.string().max(200).optional(),
});
const sagaRow = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  status: sagaStatus,
  state: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const timerRow = z.object({ id: z.string(), fireAt: z.string(), event: z.unknown() });
const outboxRow = z.object({
  id: z.string(),
  kind: z.string(),
  destination: z.string(),
  message: z.unknown(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  availableAt: z.string(),
  createdAt: z.string(),
});

/** Row of saga_instances as the search reads it; mapped to camelCase in one place below. */
interface InstanceRow {
  id: string;
  saga_name: string;
  saga_version: number;
  status: (typeof statuses)[number];
  state: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toSagaRow(row: InstanceRow): z.infer<typeof sagaRow> {
  return {
    id: row.id,
    name: row.saga_name,
    version: row.saga_version,
    status: row.status,
    state: row.state,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // Falls through to the error below.
  }
  throw new HttpError(
    400,
    "CURSOR_INVALID",
    "The cursor is not one this API returned; start again without it.",
  );
}

/** `%` and `_` are LIKE wildcards; a search for them means the characters themselves. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The inspector's routes: `GET /ui/*` (the built app; 503 with the build command when it is not
 * built), `GET /sagas/search`, `GET /sagas/counts`, `GET /sagas/:id/timers`,
 * `GET /sagas/:id/outbox`. The reads require the bearer token.
 */
export const inspectorRoutes: FastifyPluginAsyncZod<InspectorRoutesOptions> = async (
  app,
  options,
) => {
  const { knex } = options.db;
  const expected = Buffer.from(`Bearer ${options.apiToken}`);
  const requireToken = async (request: FastifyRequest, reply: FastifyReply) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({
        code: "UNAUTHORIZED",
        message: "Send the API token as 'Authorization: Bearer <token>'.",
      });
    }
  };

  const uiDir = options.uiDir ?? defaultInspectorDir;
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
        message: `The inspector is not built (no ${uiDir}); run: pnpm --filter @sagaworks/inspector build`,
      }),
    );
  }

  /** saga_instances narrowed by the filters every list read shares. */
  const filtered = (filters: { name?: string | undefined; createdAfter?: string | undefined }) => {
    let query = knex("saga_instances");
    if (filters.name) query = query.where({ saga_name: filters.name });
    if (filters.createdAfter) query = query.where("created_at", ">=", filters.createdAfter);
    return query;
  };

  app.get(
    "/sagas/search",
    {
      onRequest: requireToken,
      schema: {
        description:
          "Sagas, newest first, filtered by name, status, age (createdAfter) and text (`q`: a saga id prefix, or text anywhere in the input); paginated by cursor.",
        security: [{ bearer: [] }],
        querystring: searchQuery,
        response: {
          200: z.object({ items: z.array(sagaRow), nextCursor: z.string().nullable() }),
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (request) => {
      const { status, q, limit, cursor } = request.query;
      let query = filtered(request.query)
        .select("id", "saga_name", "saga_version", "status", "state", "created_at", "updated_at")
        .orderBy([
          { column: "created_at", order: "desc" },
          { column: "id", order: "desc" },
        ])
        .limit(limit + 1);
      if (status) query = query.where({ status });
      if (q) {
        const text = `%${likeEscape(q)}%`;
        query = query.where((where) => {
          where.whereRaw("(snapshot -> 'input')::text ILIKE ?", [text]);
          if (/^[0-9a-f-]+$/i.test(q)) {
            where.orWhereRaw("id::text LIKE ?", [`${likeEscape(q.toLowerCase())}%`]);
          }
        });
      }
      if (cursor) {
        const [createdAt, id] = decodeCursor(cursor);
        query = query.whereRaw("(created_at, id) < (?::timestamptz, ?::uuid)", [createdAt, id]);
      }
      const rows = ((await query) as InstanceRow[]).map(toSagaRow);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page,
        nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  );

  app.get(
    "/sagas/counts",
    {
      onRequest: requireToken,
      schema: {
        description: "How many sagas are in each status, filtered by name and age.",
        security: [{ bearer: [] }],
        querystring: z.object(filterShape),
        response: {
          200: z.object({ total: z.number().int(), byStatus: z.record(sagaStatus, z.number()) }),
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (request) => {
      const rows = (await filtered(request.query)
        .select("status")
        .count({ count: "*" })
        .groupBy("status")) as { status: (typeof statuses)[number]; count: string | number }[];
      const byStatus = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<
        (typeof statuses)[number],
        number
      >;
      for (const row of rows) byStatus[row.status] = Number(row.count);
      return { total: rows.reduce((sum, row) => sum + Number(row.count), 0), byStatus };
    },
  );

  app.get(
    "/sagas/:id/timers",
    {
      onRequest: requireToken,
      schema: {
        description:
          "The saga's pending timers (step timeouts, retry delays, its deadline), soonest first.",
        security: [{ bearer: [] }],
        params: sagaIdParams,
        response: { 200: z.array(timerRow), 400: errorBody, 401: errorBody },
      },
    },
    async (request) => {
      const rows = (await knex("saga_timers")
        .select("id", "fire_at", "event")
        .where({ saga_id: request.params.id })
        .orderBy([
          { column: "fire_at", order: "asc" },
          { column: "id", order: "asc" },
        ])) as { id: string; fire_at: Date | string; event: unknown }[];
      return rows.map((row) => ({ id: row.id, fireAt: iso(row.fire_at), event: row.event }));
    },
  );

  app.get(
    "/sagas/:id/outbox",
    {
      onRequest: requireToken,
      schema: {
        description:
          "The saga's outbox rows (messages and HTTP calls) still in the table, oldest first: not yet sent, or sent and deleted with the next commit.",
        security: [{ bearer: [] }],
        params: sagaIdParams,
        response: { 200: z.array(outboxRow), 400: errorBody, 401: errorBody },
      },
    },
    async (request) => {
      const rows = (await knex("saga_outbox")
        .select(
          "id",
          "kind",
          "destination",
          "message",
          "attempts",
          "last_error",
          "available_at",
          "created_at",
        )
        .where({ saga_id: request.params.id })
        .orderBy("id", "asc")) as {
        id: string | number;
        kind: string;
        destination: string;
        message: unknown;
        attempts: number;
        last_error: string | null;
        available_at: Date | string;
        created_at: Date | string;
      }[];
      return rows.map((row) => ({
        id: String(row.id),
        kind: row.kind,
        destination: row.destination,
        message: row.message,
        attempts: row.attempts,
        lastError: row.last_error,
        availableAt: iso(row.available_at),
        createdAt: iso(row.created_at),
      }));
    },
  );
};

import { timingSafeEqual } from "node:crypto";
import type { Database, Logger } from "@sagaworks/platform";
import { type JsonValue, renderMermaid } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { createServiceApp, HttpError, type ServiceApp } from "@sagaworks/service-kit";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { OrchestratorError, OrchestratorErrorCode } from "../errors.ts";
import type { SagaRuntime } from "../saga-runtime.ts";
import type { DefinitionRegistry } from "../store/definition-registry.ts";
import { inspectorRoutes } from "./inspector-routes.ts";

/** Dependencies of the API. */
export interface ApiDeps {
  runtime: SagaRuntime;
  definitions: DefinitionRegistry;
  db: Database;
  logger: Logger;
  /** Bearer token that starts and operator actions require. */
  apiToken: string;
  /** False until the workers run; `/ready` says so. */
  isReady: () => boolean;
}

const errorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
const sagaIdParams = z.object({ id: z.uuid({ message: "must be a saga id (UUID)" }) });
const operatorBody = z.object({
  reason: z.string().trim().min(1, "say why").max(2000),
  actor: z.string().trim().min(1, "say who is acting").max(200),
});
const skipBody = operatorBody.extend({
  output: z.record(z.string(), z.unknown(), { message: "must be the step's output object" }),
});
const listQuery = z.object({
  status: z
    .enum([
      "running",
      "compensating",
      "completed",
      "compensated",
      "failed",
      "needs-intervention",
      "resolved",
    ])
    .optional(),
  name: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** Encodes a keyset position (created_at, id) as an opaque cursor. */
function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString("base64url");
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

/**
 * The orchestrator's HTTP API: start and inspect sagas, operator actions, definitions, health.
 * Every input is validated by a zod schema; a bad one gets 400 with details, never 500.
 */
export async function buildApi(deps: ApiDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    logger: deps.logger,
    title: "Sagaworks orchestrator",
    db: deps.db,
    isReady: deps.isReady,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    resolveError: (error) =>
      error instanceof OrchestratorError
        ? new HttpError(
            error.code === OrchestratorErrorCode.sagaNotFound ? 404 : 409,
            error.code,
            error.message,
            error.details,
            { cause: error },
          )
        : undefined,
  });

  // Input schemas of every definition, compiled once: starts are checked before a saga exists.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const inputValidators = new Map(
    deps.definitions.allDeployed().map((saga) => [saga.name, ajv.compile(saga.input)]),
  );

  const expected = Buffer.from(`Bearer ${deps.apiToken}`);
  const requireToken = async (request: FastifyRequest, reply: FastifyReply) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({
        code: "UNAUTHORIZED",
        message: "Send the API token as 'Authorization: Bearer <token>'.",
      });
    }
  };

  app.get(
    "/metrics",
    {
      schema: {
        description:
          "This replica's counters since it started: commits, events applied, ignored, duplicates.",
      },
    },
    async () => ({
      ...deps.runtime.metrics,
    }),
  );
  app.post(
    "/sagas/:name",
    {
      onRequest: requireToken,
      schema: {
        description:
          "Start a saga. With an Idempotency-Key header, a repeated start returns the same saga.",
        security: [{ bearer: [] }],
        params: z.object({ name: z.string().min(1).max(128) }),
        headers: z
          .object({ "idempotency-key": z.string().min(1).max(200).optional() })
          .passthrough(),
        body: z.object({ input: z.unknown() }),
        response: {
          200: z.object({ sagaId: z.uuid(), created: z.boolean() }),
          201: z.object({ sagaId: z.uuid(), created: z.boolean() }),
          400: errorBody,
          401: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      const saga = deps.definitions.deployed(request.params.name);
      if (!saga) {
        throw new HttpError(
          404,
          OrchestratorErrorCode.definitionUnknown,
          `No saga named "${request.params.name}" is deployed.`,
          {
            deployed: deps.definitions.allDeployed().map((s) => s.name),
          },
        );
      }
      const validate = inputValidators.get(saga.name);
      if (validate && !validate(request.body.input)) {
        const issues = (validate.errors ?? []).map((e) => ({
          path: `input${e.instancePath}`,
          message: e.message ?? "",
        }));
        throw new HttpError(
          400,
          OrchestratorErrorCode.inputInvalid,
          `The input does not match ${saga.name} v${saga.version}'s input schema: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
          issues,
        );
      }
      const key = request.headers["idempotency-key"];
      const started = await deps.runtime.start(saga, request.body.input as JsonValue, {
        ...(key ? { idempotencyKey: `${saga.name}:${key}` } : {}),
        actor: "api",
      });
      return reply.code(started.created ? 201 : 200).send(started);
    },
  );

  app.get(
    "/sagas/:id",
    {
      schema: {
        description: "A saga's state and its history, oldest first.",
        params: sagaIdParams,
      },
    },
    async (request) => {
      const { row, history } = await deps.runtime.load(request.params.id);
      return {
        id: row.id,
        name: row.saga_name,
        version: row.saga_version,
        hash: row.saga_hash,
        revision: row.revision,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        snapshot: row.snapshot,
        history,
      };
    },
  );

  app.get(
    "/sagas",
    {
      schema: {
        description: "Sagas, newest first, filtered by status and name; paginated by cursor.",
        querystring: listQuery,
      },
    },
    async (request) => {
      const { status, name, limit, cursor } = request.query;
      let query = deps.db
        .knex("saga_instances")
        .select("id", "saga_name", "saga_version", "status", "state", "created_at", "updated_at")
        .orderBy([
          { column: "created_at", order: "desc" },
          { column: "id", order: "desc" },
        ])
        .limit(limit + 1);
      if (status) query = query.where({ status });
      if (name) query = query.where({ saga_name: name });
      if (cursor) {
        const [createdAt, id] = decodeCursor(cursor);
        query = query.whereRaw("(created_at, id) < (?::timestamptz, ?::uuid)", [createdAt, id]);
      }
      const rows = (await query) as { id: string; created_at: Date }[];
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page,
        nextCursor:
          rows.length > limit && last ? encodeCursor(new Date(last.created_at), last.id) : null,
      };
    },
  );

  const operatorRoute = <Body extends z.ZodType>(
    action: "retry" | "skip" | "compensate" | "resolve",
    body: Body,
    description: string,
    toEvent: (body: z.infer<Body>) => SagaEvent,
  ) =>
    app.post(
      `/sagas/:id/${action}`,
      {
        onRequest: requireToken,
        schema: { description, security: [{ bearer: [] }], params: sagaIdParams, body },
      },
      async (request, reply) => {
        const event = toEvent(request.body as z.infer<Body>);
        const outcome = await deps.runtime.apply(request.params.id, event, {});
        if (outcome.kind === "unknown-saga") {
          throw new HttpError(
            404,
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
  operatorRoute(
    "retry",
    operatorBody,
    "Run the current step or compensation again now, with a fresh retry budget.",
    (b) => ({
      type: "operator",
      action: "retry",
      actor: b.actor,
      reason: b.reason,
    }),
  );
  operatorRoute(
    "skip",
    skipBody,
    "Mark the current step done with the supplied output (or a stuck compensation done by hand).",
    (b) => ({
      type: "operator",
      action: "skip",
      actor: b.actor,
      reason: b.reason,
      output: b.output as JsonValue,
    }),
  );
  operatorRoute(
    "compensate",
    operatorBody,
    "Stop going forward and compensate; refused once the pivot has succeeded.",
    (b) => ({
      type: "operator",
      action: "compensate",
      actor: b.actor,
      reason: b.reason,
    }),
  );
  operatorRoute(
    "resolve",
    operatorBody,
    "Mark a saga that needs intervention as resolved by hand.",
    (b) => ({
      type: "operator",
      action: "resolve",
      actor: b.actor,
      reason: b.reason,
    }),
  );

  app.get(
    "/definitions",
    {
      schema: { description: "Every stored definition; `deployed` marks what new sagas start on." },
    },
    async () =>
      deps.definitions.all().map((saga) => ({
        name: saga.name,
        version: saga.version,
        hash: saga.hash,
        deployed: deps.definitions.deployed(saga.name)?.hash === saga.hash,
      })),
  );

  app.get(
    "/definitions/:name/:version",
    {
      schema: {
        description: "A compiled definition and its Mermaid diagram.",
        params: z.object({ name: z.string().min(1), version: z.coerce.number().int().positive() }),
      },
    },
    async (request) => {
      const saga = deps.definitions
        .all()
        .find((s) => s.name === request.params.name && s.version === request.params.version);
      if (!saga) {
        throw new HttpError(
          404,
          OrchestratorErrorCode.definitionUnknown,
          `No definition ${request.params.name} v${request.params.version}.`,
        );
      }
      return { compiled: saga, mermaid: renderMermaid(saga) };
    },
  );

  await app.register(inspectorRoutes, { db: deps.db, apiToken: deps.apiToken });
  return app;
}

/** The API's Fastify instance. */
export type OrchestratorApi = ServiceApp;

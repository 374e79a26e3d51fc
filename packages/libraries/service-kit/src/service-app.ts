import swagger, { type SwaggerOptions } from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import {
  contextFromTraceparent,
  createMetricsRegistry,
  type Database,
  type Logger,
  type LostDependency,
  type MetricsRegistry,
  publicReason,
  type Span,
  SpanKind,
  tracer,
} from "@sagaworks/platform";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { toErrorResponse } from "./error-response.ts";
import { ServiceErrorCode, ServiceErrors } from "./errors.ts";
import { registerPagePolicy } from "./page-policy.ts";
import { grants, requiredAccess, type ServiceAuth } from "./service-auth.ts";
import { findUnstorable, MAX_JSON_DEPTH } from "./storable.ts";

/**
 * What a readiness condition answers: true (ready), false (starting or stopping), or the
 * dependency the running process lost, which `/ready` then names.
 */
export type Readiness = boolean | LostDependency;

/** A service's Fastify instance, typed so that route schemas are zod schemas. */
export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Options for {@link createServiceApp}. */
export interface ServiceAppOptions {
  logger: Logger;
  /** Title of the OpenAPI document, e.g. "Sagaworks customer service". */
  title: string;
  /** API version in the OpenAPI document; defaults to `1.0.0`. */
  version?: string | undefined;
  /** When given, `/ready` answers 503 while `select 1` fails on it; defaults to none. */
  db?: Pick<Database, "knex"> | undefined;
  /**
   * Extra readiness condition (e.g. workers started, queues reachable); `/ready` answers 503
   * while it is not `true`, naming the dependency when it answers one. Defaults to always ready.
   */
  isReady?: (() => Readiness | Promise<Readiness>) | undefined;
  /** Largest accepted request body in bytes; defaults to 1 MiB (Fastify's own default). */
  bodyLimit?: number | undefined;
  /** Deepest nesting accepted in a JSON body; defaults to {@link MAX_JSON_DEPTH} (32). */
  maxJsonDepth?: number | undefined;
  /**
   * Bearer tokens checked before the body is read (see {@link ServiceAuth}); unset means the
   * routes do their own checks (the orchestrator does).
   */
  auth?: ServiceAuth | undefined;
  /**
   * The process's Prometheus registry, served at `/metrics` (open, like `/health`). Defaults to
   * one of the app's own with the default Node metrics, so every service has `/metrics`.
   */
  metrics?: MetricsRegistry | undefined;
  /**
   * OpenAPI security schemes routes may name, e.g. `{ bearer: { type: "http", scheme: "bearer" } }`;
   * defaults to none.
   */
  securitySchemes?: SecuritySchemes | undefined;
}

type SecuritySchemes = NonNullable<
  NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>["openapi"]>["components"]
>["securitySchemes"];

/**
 * {@link ServiceAppOptions} with every default applied. `db`, `auth` and
 * `securitySchemes` keep undefined for "none", written out so every key is present.
 */
export interface ResolvedServiceAppOptions {
  logger: Logger;
  title: string;
  version: string;
  db: Pick<Database, "knex"> | undefined;
  isReady: () => Readiness | Promise<Readiness>;
  bodyLimit: number;
  maxJsonDepth: number;
  auth: ServiceAuth | undefined;
  metrics: MetricsRegistry;
  securitySchemes: SecuritySchemes | undefined;
}

/** Fastify's own body limit, written down so the resolved options say what applies. */
export const DEFAULT_BODY_LIMIT = 1_048_576;

/**
 * Applies the defaults once; an explicit `undefined` means the default too. Without a registry
 * it creates the app's own, named after the title.
 */
export function resolveServiceAppOptions(options: ServiceAppOptions): ResolvedServiceAppOptions {
  return {
    logger: options.logger,
    title: options.title,
    version: options.version ?? "1.0.0",
    db: options.db,
    isReady: options.isReady ?? (() => true),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    maxJsonDepth: options.maxJsonDepth ?? MAX_JSON_DEPTH,
    auth: options.auth,
    metrics: options.metrics ?? createMetricsRegistry({ process: options.title }),
    securitySchemes: options.securitySchemes,
  };
}

const readyBody = z.object({
  status: z.string(),
  dependency: z.string().optional(),
  reason: z.string().optional(),
  since: z.string().optional(),
});

/**
 * Creates a service's Fastify app: zod validation and serialization, OpenAPI at `/docs`
 * (JSON at `/docs/json`), `/health`, `/ready`, and one error handler that answers every error as
 * `{ code, message, details }` — 400 for any bad input, 500 only for the service's own faults.
 * Register routes on the result, then `listen` (or `inject` in tests).
 */
export async function createServiceApp(input: ServiceAppOptions): Promise<ServiceApp> {
  const options = resolveServiceAppOptions(input);
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Fastify's two info lines per request (the inspector polls every 2 s) would bury what a
    // service says; one debug line per request is written by the hook below instead. (Through
    // the log controller: Fastify 5.12 deprecates the top-level option, and says so per app.)
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    // Bad percent-encoding and over-long path parameters are answered by the router before any
    // route runs; this sends them through the error handler so they get the kit's body.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toErrorResponse(error);
      // Typed for no route in particular: any status and body are allowed here.
      (reply as unknown as FastifyReply).code(status).serializer(JSON.stringify).send(body);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.addHook("onResponse", async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request completed",
    );
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: options.version },
      // A document, not options: without schemes it has no `components` key at all.
      ...(options.securitySchemes
        ? { components: { securitySchemes: options.securitySchemes } }
        : {}),
    },
    transform: jsonSchemaTransform,
  });
  // The documentation page gets the strict browser policy; its scope holds nothing else. Swagger
  // UI's stylesheet embeds its icons as data: images, and its bundle applies an inline style.
  await app.register(async (docs) => {
    await registerPagePolicy(docs, { dataImages: true, inlineStyles: true });
    await docs.register(swaggerUi, { routePrefix: "/docs" });
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    const { status, body, unexpected } = toErrorResponse(error);
    if (unexpected) {
      request.log.error({ err: error, method: request.method, url: request.url }, "route failed");
    }
    // Error bodies are built here, not by the route; serializing them with the route's response
    // schema for that status could reject them and turn a client's 4xx into a 500.
    return reply.code(status).serializer(JSON.stringify).send(body);
  });
  if (options.auth) {
    const auth = options.auth;
    // onRequest runs before the body is read: an anonymous client cannot make the service parse.
    app.addHook("onRequest", async (request, reply) => {
      const access = requiredAccess(request.method, request.url, auth);
      if (access === "open" || grants(request.headers.authorization, access, auth)) return;
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="sagaworks"')
        .send({
          code: ServiceErrorCode.unauthorized,
          message: `This route needs the service's ${access} token: send 'Authorization: Bearer <token>'.`,
        });
    });
  }

  // One rule for every route, before its schema runs: nothing deeper than the depth limit and no
  // string Postgres or JSON cannot store (NUL, lone surrogates), in the body, query or path.
  // Route schemas say the same for their own fields; this also covers free-form values.
  const maxDepth = options.maxJsonDepth;
  app.addHook("preValidation", async (request) => {
    for (const [root, value] of [
      ["params", request.params],
      ["querystring", request.query],
      ["body", request.body],
    ] as const) {
      const problem = findUnstorable(value, { root, maxDepth });
      if (problem) {
        throw ServiceErrors.create(
          ServiceErrorCode.requestInvalid,
          `The request is invalid; fix this field and send it again: ${problem.path}: ${problem.message}`,
          [{ path: problem.path, message: problem.message, code: "unstorable" }],
        );
      }
    }
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: ServiceErrorCode.routeNotFound,
      message: `No route ${request.method} ${request.url.split("?")[0]}; see /docs for the API.`,
    }),
  );

  traceIncomingRequests(app);
  const { metrics } = options;
  app.get(
    "/metrics",
    {
      schema: {
        description:
          "This process's metrics in the Prometheus text format (version 0.0.4). Open, like /health.",
      },
    },
    async (_request, reply) =>
      reply
        .type(metrics.contentType)
        .serializer(String)
        .send(await metrics.metrics()),
  );
  app.get(
    "/health",
    {
      schema: {
        description: "Liveness: the process answers. Says nothing about its dependencies.",
        response: { 200: readyBody },
      },
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/ready",
    {
      schema: {
        description: "Readiness: 200 when the database answers and the service has started.",
        response: { 200: readyBody, 503: readyBody },
      },
    },
    async (request, reply) => {
      if (options.db) {
        try {
          await options.db.knex.raw("select 1");
        } catch (error) {
          // The whole error stays in the log: connection errors can name hosts and users.
          request.log.warn({ err: error }, "readiness check: database unreachable");
          return reply.code(503).send({
            status: "database unreachable",
            dependency: "database",
            reason: publicReason(error),
          });
        }
      }
      const readiness = await options.isReady();
      if (readiness === true) return { status: "ready" };
      if (readiness === false) return reply.code(503).send({ status: "starting" });
      return reply.code(503).send({
        status: `${readiness.dependency} unreachable`,
        dependency: readiness.dependency,
        reason: readiness.reason,
        since: readiness.since.toISOString(),
      });
    },
  );
  return app;
}

/**
 * A server span for each request that carries a W3C `traceparent` (an HTTP step of a saga), as
 * the child of the caller's span. Without tracing the span does not record and nothing is kept.
 */
function traceIncomingRequests(app: ServiceApp): void {
  const spans = new WeakMap<object, Span>();
  app.addHook("onRequest", async (request) => {
    const traceparent = request.headers.traceparent;
    if (typeof traceparent !== "string") return;
    const span = tracer().startSpan(
      `HTTP ${request.method} ${request.routeOptions.url ?? "(unknown route)"}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method } },
      contextFromTraceparent(traceparent),
    );
    if (span.isRecording()) spans.set(request, span);
    else span.end();
  });
  app.addHook("onResponse", async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute("http.response.status_code", reply.statusCode);
    span.end();
  });
}

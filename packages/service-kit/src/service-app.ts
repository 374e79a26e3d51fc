import swagger, { type SwaggerOptions } from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import {
  contextFromTraceparent,
  createMetricsRegistry,
  type Database,
  type Logger,
  type MetricsRegistry,
  type Span,
  SpanKind,
  tracer,
} from "@sagaworks/platform";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
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
import { type ErrorResolver, toErrorResponse } from "./error-response.ts";
import { ServiceErrorCode } from "./errors.ts";

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
  version?: string;
  /** When given, `/ready` answers 503 while `select 1` fails on it. */
  db?: Pick<Database, "knex">;
  /** Extra readiness condition (e.g. workers started); `/ready` answers 503 while false. */
  isReady?: () => boolean | Promise<boolean>;
  /** Turns the service's domain errors into {@link HttpError}s; see {@link ErrorResolver}. */
  resolveError?: ErrorResolver;
  /** Largest accepted request body in bytes; defaults to Fastify's 1 MiB. */
  bodyLimit?: number;
  /**
   * The process's Prometheus registry, served at `/metrics` (open, like `/health`). Defaults to
   * one of the app's own with the default Node metrics, so every service has `/metrics`.
   */
  metrics?: MetricsRegistry;
  /** OpenAPI security schemes routes may name, e.g. `{ bearer: { type: "http", scheme: "bearer" } }`. */
  securitySchemes?: NonNullable<
    NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>["openapi"]>["components"]
  >["securitySchemes"];
}

const readyBody = z.object({ status: z.string() });

/**
 * Creates a service's Fastify app: zod validation and serialization, OpenAPI at `/docs`
 * (JSON at `/docs/json`), `/health`, `/ready`, and one error handler that answers every error as
 * `{ code, message, details }` — 400 for any bad input, 500 only for the service's own faults.
 * Register routes on the result, then `listen` (or `inject` in tests).
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: options.version ?? "1.0.0" },
      ...(options.securitySchemes
        ? { components: { securitySchemes: options.securitySchemes } }
        : {}),
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.setErrorHandler((error: unknown, request, reply) => {
    const { status, body, unexpected } = toErrorResponse(error, options.resolveError);
    if (unexpected) {
      request.log.error({ err: error, method: request.method, url: request.url }, "route failed");
    }
    // Error bodies are built here, not by the route; serializing them with the route's response
    // schema for that status could reject them and turn a client's 4xx into a 500.
    return reply.code(status).serializer(JSON.stringify).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: ServiceErrorCode.routeNotFound,
      message: `No route ${request.method} ${request.url.split("?")[0]}; see /docs for the API.`,
    }),
  );

  traceIncomingRequests(app);
  const metrics = options.metrics ?? createMetricsRegistry({ process: options.title });
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
          // The reason stays in the log: connection errors can name hosts and users.
          request.log.warn({ err: error }, "readiness check: database unreachable");
          return reply.code(503).send({ status: "database unreachable" });
        }
      }
      if (options.isReady && !(await options.isReady())) {
        return reply.code(503).send({ status: "starting" });
      }
      return { status: "ready" };
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

import type { DeadLetterReader } from "@sagaworks/dead-letters";
import type { Database, Logger, MetricsRegistry } from "@sagaworks/platform";
import { createServiceApp, type Readiness, type ServiceApp } from "@sagaworks/service-kit";
import type { EventIntake } from "../events/event-intake.ts";
import { eventRoutes } from "../events/event-routes.ts";
import { deadLetterRoutes } from "./dead-letter-routes.ts";
import { definitionRoutes } from "./definition-routes.ts";
import { inFlightRoutes } from "./in-flight-routes.ts";
import { inspectorRoutes } from "./inspector-routes.ts";
import { operatorRoutes } from "./operator-routes.ts";
import type { DefinitionPort, MetricsPort, SagaPort } from "./ports.ts";
import { sagaRoutes } from "./saga-routes.ts";

/** Dependencies of the API: narrow ports, so tests can pass in-memory fakes. */
export interface ApiDeps {
  /** Start, apply, load and list sagas (the runtime). */
  sagas: SagaPort;
  definitions: DefinitionPort;
  metrics: MetricsPort;
  /** The process's Prometheus registry, served at `/metrics`; defaults to the app's own. */
  registry?: MetricsRegistry;
  /** When given, `/ready` checks it. */
  db?: Pick<Database, "knex">;
  logger: Logger;
  /** Bearer token that every route but `/metrics`, `/health`, `/ready` and `/docs` requires. */
  apiToken: string;
  /** False until the workers run, or the broker it lost; `/ready` says so. */
  isReady: () => Readiness;
  /** When given, the read-only dead-letter view (`/dead-letters`) is served. */
  deadLetters?: Pick<DeadLetterReader, "list" | "read">;
  /** When given, outside events are taken in at `POST /events/:name`. */
  events?: Pick<EventIntake, "receive">;
}

/**
 * The orchestrator's HTTP API, as route plugins over narrow ports: starting and reading sagas,
 * operator actions and definitions (all behind the bearer token), plus the open `/metrics`,
 * `/health`, `/ready` and `/docs`. Every input is validated by a zod schema; a bad one gets 400
 * with details, never 500.
 */
export async function buildApi(deps: ApiDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    logger: deps.logger,
    title: "Sagaworks orchestrator",
    db: deps.db,
    isReady: deps.isReady,
    metrics: deps.registry,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
  });

  app.get(
    "/metrics.json",
    {
      schema: {
        description:
          "This replica's plain counters since it started (Prometheus text is at /metrics): commits, events applied, ignored, duplicates, junk replies, parked outbox messages. Open, like /health.",
      },
    },
    async () => deps.metrics.toJSON(),
  );
  const { sagas, definitions, apiToken } = deps;
  await app.register(sagaRoutes, { sagas, definitions, apiToken });
  await app.register(operatorRoutes, { sagas, apiToken });
  await app.register(definitionRoutes, { definitions, apiToken });
  // The inspector's page and its reads (search, counts, timers, outbox) and the in-flight counts
  // per definition version need the database.
  if (deps.db) {
    await app.register(inspectorRoutes, { db: deps.db, apiToken });
    await app.register(inFlightRoutes, { db: deps.db, apiToken });
  }
  if (deps.events) await app.register(eventRoutes, { events: deps.events, apiToken });
  if (deps.deadLetters) {
    await app.register(deadLetterRoutes, { deadLetters: deps.deadLetters, apiToken });
  }
  return app;
}

/** The API's Fastify instance. */
export type OrchestratorApi = ServiceApp;

import type { DeadLetterReader } from "@sagaworks/dead-letters";
import type { Database, Logger, MetricsRegistry } from "@sagaworks/platform";
import { createServiceApp, type Readiness, type ServiceApp } from "@sagaworks/service-kit";
import type { EventIntake } from "../events/event-intake.ts";
import { eventRoutes } from "../events/event-routes.ts";
import { type RetentionRoutesOptions, retentionRoutes } from "../retention/retention-routes.ts";
import { bearerAuth } from "./auth.ts";
import { deadLetterRoutes } from "./dead-letter-routes.ts";
import { definitionRoutes } from "./definition-routes.ts";
import { inFlightRoutes } from "./in-flight-routes.ts";
import { inspectorPage, inspectorRoutes } from "./inspector-routes.ts";
import { operatorRoutes } from "./operator-routes.ts";
import type { DefinitionPort, InspectorPort, MetricsPort, SagaPort } from "./ports.ts";
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
  /**
   * Bearer token that every route but `/metrics`, `/health`, `/ready`, `/docs` and the inspector's
   * page requires.
   */
  apiToken: string;
  /** False until the workers run, or the broker it lost; `/ready` says so. */
  isReady: () => Readiness;
  /** When given, the read-only dead-letter view (`/dead-letters`) is served. */
  deadLetters?: Pick<DeadLetterReader, "list" | "read">;
  /** When given, outside events are taken in at `POST /events/:name`. */
  events?: Pick<EventIntake, "receive">;
  /**
   * When given, the inspector's reads and the in-flight counts are served, and the built
   * inspector at `/ui` from `uiDir`.
   */
  inspector?: { reads: InspectorPort; uiDir: string };
  /** When given, pruning's pause switch and settings are served at `/retention`. */
  retention?: RetentionRoutesOptions;
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
  const { sagas, definitions, inspector, events, deadLetters } = deps;
  if (inspector) await app.register(inspectorPage, { uiDir: inspector.uiDir });
  // One protected scope: Fastify's encapsulation puts its bearer hook on every route registered
  // inside it, and on none outside (the probes, /metrics, /docs and the inspector's page).
  await app.register(async (api) => {
    api.addHook("onRequest", bearerAuth(deps.apiToken));
    await api.register(sagaRoutes, { sagas, definitions });
    await api.register(operatorRoutes, { sagas });
    await api.register(definitionRoutes, { definitions });
    if (inspector) {
      await api.register(inspectorRoutes, { inspector: inspector.reads });
      await api.register(inFlightRoutes, { inspector: inspector.reads });
    }
    if (events) await api.register(eventRoutes, { events });
    if (deadLetters) await api.register(deadLetterRoutes, { deadLetters });
    if (deps.retention) await api.register(retentionRoutes, deps.retention);
  });
  return app;
}

/** The API's Fastify instance. */
export type OrchestratorApi = ServiceApp;

// The HTTP server of a process that is still starting. It is up before the database and broker
// answer, so an orchestrator sees the process live (`/health`) and not ready (`/ready`, naming
// what it waits for) instead of restarting it; the service's own app replaces it once started.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DependencyWaiting, MetricsRegistry } from "@sagaworks/platform";
import { ServiceErrorCode } from "./errors.ts";

/** What the start-up server answers from. */
export interface StartupServerOptions {
  /** What the process waits for now; undefined while no dependency is failing. */
  waiting: () => DependencyWaiting | undefined;
  /** The process's registry, served at `/metrics` already while it starts. */
  metrics: MetricsRegistry;
}

/** A listening start-up server. */
export interface StartupServer {
  /** The port it listens on (the one asked for, or the one the system gave for port 0). */
  port: number;
  /** Stops listening and ends open connections (a probe's keep-alive must not hold the port). */
  close(): Promise<void>;
}

/** The `/ready` body while starting: which dependency, why, since when. */
export function startingStatus(waiting: DependencyWaiting | undefined): Record<string, unknown> {
  if (!waiting) return { status: "starting" };
  return {
    status: `waiting for ${waiting.dependency}`,
    dependency: waiting.dependency,
    reason: waiting.reason,
    attempts: waiting.attempts,
    since: waiting.since.toISOString(),
  };
}

/**
 * Listens on `port`/`host` with `/health` (200), `/ready` (503 with {@link startingStatus}) and
 * `/metrics`; every other route answers 503 SERVICE_STARTING with a Retry-After.
 */
export async function listenWhileStarting(
  options: StartupServerOptions,
  where: { port: number; host: string },
): Promise<StartupServer> {
  const server = createServer((request, response) => {
    void answer(options, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where.port, where.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

async function answer(
  options: StartupServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? "/").split("?")[0];
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    response.end(JSON.stringify(body));
  };
  if (request.method === "GET" && path === "/health") return send(200, { status: "ok" });
  if (request.method === "GET" && path === "/ready") {
    return send(503, startingStatus(options.waiting()));
  }
  if (request.method === "GET" && path === "/metrics") {
    try {
      const text = await options.metrics.metrics();
      response.writeHead(200, { "content-type": options.metrics.contentType });
      response.end(text);
    } catch {
      send(500, { status: "metrics failed" });
    }
    return;
  }
  const waiting = options.waiting();
  send(
    503,
    {
      code: ServiceErrorCode.serviceStarting,
      message: waiting
        ? `The service is starting: it waits for its ${waiting.dependency} (${waiting.reason}). Try again shortly.`
        : "The service is starting. Try again shortly.",
    },
    { "retry-after": "5" },
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

// Proxies a test controls, to stand between a process and its database or broker: the outage is
// real at the socket (connections refused or closed, 503 answers), not a mock inside the process.
import { createServer as createHttpServer, type Server } from "node:http";
import { connect, createServer, type Server as NetServer, type Socket } from "node:net";
import { forwardRequest } from "@sagaworks/messaging/testing";

/** A TCP proxy in front of Postgres. */
export interface TcpProxy {
  port: number;
  /** `refuse`: nothing listens (ECONNREFUSED); `drop`: accepts, reads, closes; `forward`: passes. */
  set(mode: "refuse" | "drop" | "forward"): Promise<void>;
  close(): Promise<void>;
}

/** Starts a TCP proxy to `target` on a port of its own, in `mode`. */
export async function startTcpProxy(
  target: { host: string; port: number },
  mode: "refuse" | "drop" | "forward",
): Promise<TcpProxy> {
  let current = mode;
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    if (current !== "forward") {
      // Closed once the client's first bytes are read: a socket closed with unread bytes sends
      // a reset instead, which the client reads as "connection reset". Which one it got would
      // then depend on whether this (busy) test process accepted before the startup message
      // arrived; a failover's half-open moment closes cleanly, and that is the case under test.
      client.once("data", () => client.end());
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  // The port is taken once and kept: "refuse" closes the listener and "forward" listens on the
  // same port again, so the processes' DATABASE_URL stays valid.
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  if (mode === "refuse") await stopListening();
  return {
    port,
    async set(next) {
      current = next;
      if (next === "refuse") await stopListening();
      else {
        // Connections of the previous mode end, so the next ones see the new one.
        for (const socket of sockets) socket.destroy();
        await listen();
      }
    },
    close: stopListening,
  };
}

/** An HTTP proxy in front of the broker's endpoint. */
export interface HttpProxy {
  endpoint: string;
  /** `unavailable`: every request is answered 503 (as SQS does in an outage); `forward`: passes. */
  set(mode: "unavailable" | "forward"): void;
  /** Requests answered 503 so far. */
  refused(): number;
  close(): Promise<void>;
}

/** Starts an HTTP proxy to `target` (an `http://host:port` endpoint), in `mode`. */
export async function startHttpProxy(
  target: string,
  mode: "unavailable" | "forward",
): Promise<HttpProxy> {
  let current = mode;
  let refused = 0;
  const to = new URL(target);
  const server: Server = createHttpServer((request, response) => {
    if (current === "unavailable") {
      refused++;
      request.resume();
      response.writeHead(503, { "content-type": "application/x-amz-json-1.0" });
      response.end(
        JSON.stringify({ __type: "ServiceUnavailable", message: "Service is unavailable" }),
      );
      return;
    }
    forwardRequest(request, response, to);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    set(next) {
      current = next;
    },
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";

/**
 * Forwards one request a test proxy received to `target` and pipes the answer back; a failure to
 * reach the target drops the connection, as an unreachable endpoint would. `headers` replaces
 * the request's own headers (to rewrite its host, say).
 */
export function forwardRequest(
  request: IncomingMessage,
  response: ServerResponse,
  target: URL,
  headers: OutgoingHttpHeaders = request.headers,
): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on("error", () => response.destroy());
  request.pipe(upstream);
}

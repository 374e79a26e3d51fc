import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpStepRequest, requestHttpStep } from "./http-step-request.ts";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      seen.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const path = request.url ?? "";
      if (path.startsWith("/moved")) {
        response.writeHead(302, { location: "/customers/c-1" }).end();
      } else if (path.startsWith("/slow")) {
        setTimeout(() => response.writeHead(200).end("{}"), 2_000).unref();
      } else if (path.startsWith("/text")) {
        response.writeHead(503, { "content-type": "text/plain" }).end("down for a moment");
      } else if (path.startsWith("/empty")) {
        response.writeHead(204).end();
      } else {
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ id: "c-1", name: "Ada" }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const call = (over: Partial<HttpStepRequest>): HttpStepRequest => ({
  step: "check-customer",
  attempt: 1,
  service: "customer",
  method: "GET",
  path: "/customers/c-1",
  query: null,
  body: null,
  idempotencyKey: "saga-1:check-customer:1",
  timeoutMs: 5_000,
  ...over,
});

describe("requestHttpStep", () => {
  it("sends the step's method, path, query, headers and body, and answers the parsed response", async () => {
    seen.length = 0;
    const answer = await requestHttpStep(
      call({
        method: "POST",
        path: "/customers",
        query: { region: "eu", skip: null },
        body: { a: 1 },
      }),
      { serviceUrls: { customer: base }, serviceToken: "t0ken" },
    );
    expect(answer).toEqual({
      type: "http-response",
      step: "check-customer",
      attempt: 1,
      status: 200,
      body: { id: "c-1", name: "Ada" },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/customers?region=eu", body: '{"a":1}' });
    expect(seen[0]?.headers).toMatchObject({
      accept: "application/json",
      "idempotency-key": "saga-1:check-customer:1",
      authorization: "Bearer t0ken",
      "content-type": "application/json",
    });
  });

  it("sends no authorization and no content type when there is no token and no body", async () => {
    seen.length = 0;
    await requestHttpStep(call({}), { serviceUrls: { customer: base }, serviceToken: undefined });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.headers["content-type"]).toBeUndefined();
  });

  it("keeps a body that is not JSON as text, and an empty one as null, with any status", async () => {
    const target = { serviceUrls: { customer: base }, serviceToken: undefined };
    expect(await requestHttpStep(call({ path: "/text" }), target)).toMatchObject({
      type: "http-response",
      status: 503,
      body: "down for a moment",
    });
    expect(await requestHttpStep(call({ path: "/empty" }), target)).toMatchObject({
      type: "http-response",
      status: 204,
      body: null,
    });
  });

  it("follows a redirect, as the step's request always has", async () => {
    seen.length = 0;
    const answer = await requestHttpStep(call({ path: "/moved" }), {
      serviceUrls: { customer: base },
      serviceToken: undefined,
    });
    expect(answer).toMatchObject({ status: 200, body: { id: "c-1", name: "Ada" } });
    expect(seen.map((request) => request.url)).toEqual(["/moved", "/customers/c-1"]);
  });

  it("answers a timeout, a refused connection and a missing URL as failures, never throwing", async () => {
    const slow = await requestHttpStep(call({ path: "/slow", timeoutMs: 100 }), {
      serviceUrls: { customer: base },
      serviceToken: undefined,
    });
    expect(slow).toMatchObject({ type: "http-failure", code: "HTTP_TIMEOUT" });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await requestHttpStep(call({}), {
      serviceUrls: { customer: `http://127.0.0.1:${port}` },
      serviceToken: undefined,
    });
    expect(refused).toMatchObject({ type: "http-failure", code: "HTTP_NETWORK_ERROR" });
    expect((refused as { message: string }).message).toMatch(/^GET \/customers\/c-1: /);

    expect(await requestHttpStep(call({}), { serviceUrls: {}, serviceToken: undefined })).toEqual({
      type: "http-failure",
      step: "check-customer",
      attempt: 1,
      code: "SERVICE_URL_MISSING",
      message: "no URL configured for service customer",
    });
  });
});

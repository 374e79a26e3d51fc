import { activeTraceparent } from "@sagaworks/platform";
import type { JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { Agent, type Dispatcher, interceptors, request } from "undici";
import type { CallHttpEffect } from "../commit-plan/inline-read.ts";

/** What an HTTP step's request is made of: the engine's `call-http` effect, or its outbox row. */
export type HttpStepRequest = Omit<CallHttpEffect, "type">;

/** Where HTTP steps go, and the token they carry. */
export interface HttpStepTarget {
  /** Base URL per service, e.g. `{ customer: "http://127.0.0.1:3003" }`. */
  serviceUrls: Readonly<Record<string, string>>;
  /**
   * Sent as `Authorization: Bearer <token>`: the services' write token, which their reads
   * accept too. Undefined sends none (the services' reads are open by default).
   */
  serviceToken: string | undefined;
}

// Redirects are followed, up to fetch's limit of 20, as they were when steps went through fetch.
const stepDispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 20 }));

/**
 * Makes one HTTP step's request and answers with the event the engine applies: the response
 * (any status; the definition's outcomes classify it), or a failure (no URL for the service, a
 * timeout, a network error). It never throws.
 */
export async function requestHttpStep(
  call: HttpStepRequest,
  target: HttpStepTarget,
): Promise<Extract<SagaEvent, { type: "http-response" | "http-failure" }>> {
  const base = target.serviceUrls[call.service];
  const at = { step: call.step, attempt: call.attempt };
  if (!base) {
    return {
      type: "http-failure",
      ...at,
      code: "SERVICE_URL_MISSING",
      message: `no URL configured for service ${call.service}`,
    };
  }
  const url = new URL(call.path, base);
  if (call.query && typeof call.query === "object" && !Array.isArray(call.query)) {
    for (const [name, value] of Object.entries(call.query)) {
      if (value !== null && value !== undefined) url.searchParams.set(name, String(value));
    }
  }
  try {
    // undici's request rather than fetch: the same client under Node's fetch without its WHATWG
    // layers, about half the CPU per call (every saga makes at least one HTTP step). Both reject
    // with the signal's reason, so a timeout is still a TimeoutError.
    const response = await request(url, {
      method: call.method as Dispatcher.HttpMethod,
      headers: {
        accept: "application/json",
        "idempotency-key": call.idempotencyKey,
        // Header present only with a token: an empty Bearer would be a wrong credential.
        ...(target.serviceToken ? { authorization: `Bearer ${target.serviceToken}` } : {}),
        ...traceHeaders(),
        ...(call.body !== null ? { "content-type": "application/json" } : {}),
      },
      body: call.body !== null ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.timeout(call.timeoutMs),
      dispatcher: stepDispatcher,
    });
    const text = await response.body.text();
    let body: JsonValue = text;
    try {
      body = text === "" ? null : (JSON.parse(text) as JsonValue);
    } catch {
      // Not JSON: kept as text, so the history shows what the service said.
    }
    return { type: "http-response", ...at, status: response.statusCode, body };
  } catch (error) {
    const name = (error as Error).name;
    const code =
      name === "TimeoutError" || name === "AbortError" ? "HTTP_TIMEOUT" : "HTTP_NETWORK_ERROR";
    return {
      type: "http-failure",
      ...at,
      code,
      message: `${call.method} ${url.pathname}: ${(error as Error).message}`,
    };
  }
}

/** The `traceparent` header of the active span (the HTTP step's), when tracing is on. */
function traceHeaders(): Record<string, string> {
  const traceparent = activeTraceparent();
  return traceparent ? { traceparent } : {};
}

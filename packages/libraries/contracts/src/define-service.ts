// The shape of a service contract, written once: the saga compiler's `ContractRegistry` is a
// record of these (it imports the types from here). This package does not import the compiler, so
// services can depend on their contracts without pulling in the compiler.
import type { z } from "zod";

/** The HTTP methods an endpoint (and a saga's HTTP step) may use. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
/** One of `HTTP_METHODS`. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A command a service accepts over SQS, with every reply it may send back. */
export interface CommandContract {
  readonly description?: string;
  readonly payload: z.ZodType;
  readonly replies: Readonly<Record<string, z.ZodType>>;
  /** Technical error codes the handler may report; sagas may list them as non-retryable. */
  readonly errors?: readonly string[];
}

/** One declared HTTP response. */
export interface HttpResponseContract {
  readonly description: string;
  readonly body: z.ZodType;
}

/** An HTTP endpoint: method, path with `:params`, and its responses by status. */
export interface HttpEndpointContract {
  readonly method: HttpMethod;
  /** Path with `:name` parameters, e.g. "/customers/:id". */
  readonly path: string;
  readonly description?: string;
  /** Schema of the path parameters; defaults to one required string per `:name`. */
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, HttpResponseContract>>;
}

/**
 * An event another system sends (a payment provider's webhook, a partner's notice): a saga's
 * `await` step waits for it. It arrives by HTTP or through the events topic, never as a reply.
 */
export interface EventContract {
  readonly description?: string;
  readonly payload: z.ZodType;
  /**
   * The payload field (a dotted path, e.g. "paymentId") whose value says which saga the event is
   * for: the `await` step names where the same value sits in the saga's data.
   */
  readonly correlation: string;
}

/** Everything one service offers to sagas. */
export interface ServiceContract {
  readonly description?: string;
  readonly commands?: Readonly<Record<string, CommandContract>>;
  readonly endpoints?: readonly HttpEndpointContract[];
  /** Events the service sends on its own, which sagas can wait for. */
  readonly events?: Readonly<Record<string, EventContract>>;
}

/** Declares a service contract, keeping its literal command and reply names in the type. */
export function defineService<const T extends ServiceContract>(contract: T): T {
  return contract;
}

// The shape of a service contract. It mirrors (structurally) the `ContractRegistry` that the saga
// compiler takes as an argument; this package does not import the compiler, so services can depend
// on their contracts without pulling in the compiler.
import type { z } from "zod";

/** A command a service accepts over SQS, with every reply it may send back. */
export interface CommandContract {
  readonly description: string;
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
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
  readonly description: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, HttpResponseContract>>;
}

/** Everything one service offers to sagas. */
export interface ServiceContract {
  readonly description: string;
  readonly commands?: Readonly<Record<string, CommandContract>>;
  readonly endpoints?: readonly HttpEndpointContract[];
}

/** Declares a service contract, keeping its literal command and reply names in the type. */
export function defineService<const T extends ServiceContract>(contract: T): T {
  return contract;
}

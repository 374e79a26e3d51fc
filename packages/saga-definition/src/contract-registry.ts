// The shape of the contracts the validator checks definitions against. The registry is passed in
// as an argument (the compiler never imports a service), so the package stays pure and tests can
// use any registry. `@sagaworks/contracts` ships the real one; it matches this shape structurally.
import { z } from "zod";

/** A command a service accepts over SQS, with the replies it may send back. */
export interface CommandContract {
  readonly description?: string;
  /** Schema of the command's payload. */
  readonly payload: z.ZodType;
  /** Every reply the command may produce, by reply name. */
  readonly replies: Readonly<Record<string, z.ZodType>>;
  /** Technical error codes the participant may report (candidates for `nonRetryable`). */
  readonly errors?: readonly string[];
}

/** One HTTP response an endpoint declares. */
export interface HttpResponseContract {
  readonly description: string;
  readonly body: z.ZodType;
}

/** An HTTP endpoint a service serves, e.g. GET /customers/:id. */
export interface HttpEndpointContract {
  readonly method: string;
  /** Path with `:name` parameters, e.g. "/customers/:id". */
  readonly path: string;
  readonly description?: string;
  /** Schema of the path parameters; defaults to one required string per `:name`. */
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Declared responses by status code. */
  readonly responses: Readonly<Record<number, HttpResponseContract>>;
}

/** What one service offers: commands over SQS, HTTP endpoints, or both. */
export interface ServiceContract {
  readonly description?: string;
  readonly commands?: Readonly<Record<string, CommandContract>>;
  readonly endpoints?: readonly HttpEndpointContract[];
}

/** Every service a definition may use, by service name. */
export type ContractRegistry = Readonly<Record<string, ServiceContract>>;

/** A JSON Schema as plain data. */
export type JsonSchema = boolean | { readonly [key: string]: unknown };

const cache = new WeakMap<z.ZodType, Record<"input" | "output", JsonSchema | undefined>>();

/**
 * JSON Schema of a contract schema: `input` for what a service accepts (payloads), `output` for
 * what it sends (replies). Cached per schema; unrepresentable parts become `{}` (unknown).
 */
export function contractJsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  let entry = cache.get(schema);
  if (!entry) {
    entry = { input: undefined, output: undefined };
    cache.set(schema, entry);
  }
  const cached = entry[io];
  if (cached !== undefined) return cached;
  let converted: JsonSchema;
  try {
    converted = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-7" });
  } catch {
    converted = {};
  }
  entry[io] = converted;
  return converted;
}

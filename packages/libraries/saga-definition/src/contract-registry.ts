// The contracts the validator checks definitions against. The registry is passed in as an
// argument (the compiler never imports a service), so the package stays pure and tests can use
// any registry. The contract types are written once, in @sagaworks/contracts (type-only import:
// nothing of that package is loaded at run time).
import type {
  CommandContract,
  HttpEndpointContract,
  HttpResponseContract,
  ServiceContract,
} from "@sagaworks/contracts";
import { z } from "zod";

export type { CommandContract, HttpEndpointContract, HttpResponseContract, ServiceContract };

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

// The registry of every shipped service's contract, and its JSON Schema export.
import { z } from "zod";
import { accountService } from "./account.ts";
import { customerService } from "./customer.ts";
import type { CommandContract, ServiceContract } from "./define-service.ts";
import { ContractErrorCode, ContractErrors } from "./errors.ts";
import { orderService } from "./order.ts";

/** Every shipped service by name; pass it to the saga compiler as `contracts`. */
export const serviceContracts = {
  order: orderService,
  account: accountService,
  customer: customerService,
} as const satisfies Record<string, ServiceContract>;

/** A shipped service's name. */
export type ServiceName = keyof typeof serviceContracts;

/** The contract of one command; throws a `ContractError` naming the known ones if absent. */
export function commandContract(
  registry: Readonly<Record<string, ServiceContract>>,
  service: string,
  command: string,
): CommandContract {
  const contract = Object.hasOwn(registry, service) ? registry[service] : undefined;
  if (!contract) {
    throw ContractErrors.create(
      ContractErrorCode.serviceUnknown,
      `Unknown service "${service}": use one of ${Object.keys(registry).join(", ")} or add its contract to @sagaworks/contracts.`,
      { service },
    );
  }
  const found =
    contract.commands && Object.hasOwn(contract.commands, command)
      ? contract.commands[command]
      : undefined;
  if (!found) {
    throw ContractErrors.create(
      ContractErrorCode.commandUnknown,
      `Service "${service}" has no command "${command}": use one of ${Object.keys(contract.commands ?? {}).join(", ") || "(none)"} or declare it in its contract.`,
      { service, command },
    );
  }
  return found;
}

function toJsonSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(schema, { io, target: "draft-7", unrepresentable: "any" });
}

/**
 * JSON Schema of every contract: for each service, each command's payload and replies, and each
 * HTTP endpoint's params, query, body and responses. Payloads and request parts use the input
 * side of the schema, replies and responses the output side.
 */
export function contractsJsonSchema(
  registry: Readonly<Record<string, ServiceContract>> = serviceContracts,
): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(registry)) {
    const commands: Record<string, unknown> = {};
    for (const [commandName, command] of Object.entries(service.commands ?? {})) {
      commands[commandName] = {
        description: command.description,
        payload: toJsonSchema(command.payload, "input"),
        replies: Object.fromEntries(
          Object.entries(command.replies).map(([reply, schema]) => [
            reply,
            toJsonSchema(schema, "output"),
          ]),
        ),
        errors: [...(command.errors ?? [])],
      };
    }
    const endpoints = (service.endpoints ?? []).map((endpoint) => ({
      method: endpoint.method,
      path: endpoint.path,
      description: endpoint.description,
      // A document: an endpoint without params, query or body has no such key at all.
      ...(endpoint.params ? { params: toJsonSchema(endpoint.params, "input") } : {}),
      ...(endpoint.query ? { query: toJsonSchema(endpoint.query, "input") } : {}),
      ...(endpoint.body ? { body: toJsonSchema(endpoint.body, "input") } : {}),
      responses: Object.fromEntries(
        Object.entries(endpoint.responses).map(([status, response]) => [
          status,
          { description: response.description, body: toJsonSchema(response.body, "output") },
        ]),
      ),
    }));
    services[name] = { description: service.description, commands, endpoints };
  }
  return { title: "Sagaworks service contracts", services };
}

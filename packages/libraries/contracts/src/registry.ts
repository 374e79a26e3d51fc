// The registry of every shipped service's contract, and its JSON Schema export.
import { z } from "zod";
import { accountService } from "./account.ts";
import { customerService } from "./customer.ts";
import type { CommandContract, EventContract, ServiceContract } from "./define-service.ts";
import { ContractErrorCode, ContractErrors } from "./errors.ts";
import { orderService } from "./order.ts";
import { paymentProviderService } from "./payment-provider.ts";

/** Every shipped service by name; pass it to the saga compiler as `contracts`. */
export const serviceContracts = {
  order: orderService,
  account: accountService,
  customer: customerService,
  "payment-provider": paymentProviderService,
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

/** An event contract with the service that sends it. */
export interface DeclaredEvent {
  service: string;
  name: string;
  contract: EventContract;
}

/**
 * Every event by name. Names are unique across services (an event arrives as `POST
 * /events/<name>`, with no service in the address); a name declared twice throws a
 * `ContractError` naming both services.
 */
export function declaredEvents(
  registry: Readonly<Record<string, ServiceContract>>,
): ReadonlyMap<string, DeclaredEvent> {
  const events = new Map<string, DeclaredEvent>();
  for (const [service, contract] of Object.entries(registry)) {
    for (const [name, event] of Object.entries(contract.events ?? {})) {
      const earlier = events.get(name);
      if (earlier) {
        throw ContractErrors.create(
          ContractErrorCode.eventDeclaredTwice,
          `Event "${name}" is declared by services "${earlier.service}" and "${service}": rename one, event names are unique.`,
          { event: name, services: [earlier.service, service] },
        );
      }
      events.set(name, { service, name, contract: event });
    }
  }
  return events;
}

/** The value of a dotted path ("a.b") in a payload, or undefined when absent. */
export function correlationValue(payload: unknown, path: string): unknown {
  let value: unknown = payload;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
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
    const events = Object.fromEntries(
      Object.entries(service.events ?? {}).map(([eventName, event]) => [
        eventName,
        {
          description: event.description,
          correlation: event.correlation,
          payload: toJsonSchema(event.payload, "output"),
        },
      ]),
    );
    services[name] = { description: service.description, commands, endpoints, events };
  }
  return { title: "Sagaworks service contracts", services };
}

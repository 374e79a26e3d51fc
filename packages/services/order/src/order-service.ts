import {
  type ParticipantProcessDefinition,
  type ParticipantService,
  type ParticipantServiceDefinition,
  type ParticipantServiceDeps,
  startParticipantService,
} from "@sagaworks/service-kit/participant";
import { orderConfigSchema } from "./config.ts";
import { orderMigrations } from "./migrations/index.ts";
import { createOrderApp } from "./order-app.ts";
import { orderHandlers } from "./order-handlers.ts";

/** The service's name in the topology: its command queue is `<prefix>-order-commands`. */
export const ORDER_SERVICE_NAME = "order";

/** What {@link startOrderService} needs; several services can share a process, not a database. */
export type OrderServiceDeps = ParticipantServiceDeps;

/** A started order service. The caller listens with `app` and owns `db`. */
export type OrderService = ParticipantService;

/** The order service as a saga participant: its schema, its command handlers, its HTTP app. */
export const orderServiceDefinition: ParticipantServiceDefinition = {
  name: ORDER_SERVICE_NAME,
  migrations: orderMigrations,
  handlers: orderHandlers,
  createApp: createOrderApp,
};

/**
 * Starts the order service: migrates its schema, starts the participant on its command queue and
 * builds the HTTP app (not yet listening).
 */
export function startOrderService(deps: OrderServiceDeps): Promise<OrderService> {
  return startParticipantService(orderServiceDefinition, deps);
}

/** The order service as a process: what its `main.ts` runs with `runParticipantService`. */
export const orderProcessDefinition: ParticipantProcessDefinition<typeof orderConfigSchema> = {
  service: orderServiceDefinition,
  configSchema: orderConfigSchema,
  settings: (config) => ({
    schema: config.ORDER_DB_SCHEMA,
    concurrency: config.ORDER_COMMAND_CONCURRENCY,
  }),
};

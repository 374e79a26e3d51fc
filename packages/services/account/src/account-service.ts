import {
  type ParticipantProcessDefinition,
  type ParticipantService,
  type ParticipantServiceDefinition,
  type ParticipantServiceDeps,
  startParticipantService,
} from "@sagaworks/service-kit/participant";
import { createAccountApp } from "./account-app.ts";
import { accountHandlers } from "./account-handlers.ts";
import { accountConfigSchema } from "./config.ts";
import { accountMigrations } from "./migrations/index.ts";

/** The service's name in the topology: its command queue is `<prefix>-account-commands`. */
export const ACCOUNT_SERVICE_NAME = "account";

/** What {@link startAccountService} needs; several services can share a process, not a database. */
export type AccountServiceDeps = ParticipantServiceDeps;

/** A started account service. The caller listens with `app` and owns `db`. */
export type AccountService = ParticipantService;

/** The account service as a saga participant: its schema, its command handlers, its HTTP app. */
export const accountServiceDefinition: ParticipantServiceDefinition = {
  name: ACCOUNT_SERVICE_NAME,
  migrations: accountMigrations,
  handlers: accountHandlers,
  createApp: createAccountApp,
};

/**
 * Starts the account service: migrates its schema, starts the participant on its command queue and
 * builds the HTTP app (not yet listening).
 */
export function startAccountService(deps: AccountServiceDeps): Promise<AccountService> {
  return startParticipantService(accountServiceDefinition, deps);
}

/** The account service as a process: what its `main.ts` runs with `runParticipantService`. */
export const accountProcessDefinition: ParticipantProcessDefinition<typeof accountConfigSchema> = {
  service: accountServiceDefinition,
  configSchema: accountConfigSchema,
  settings: (config) => ({
    schema: config.ACCOUNT_DB_SCHEMA,
    concurrency: config.ACCOUNT_COMMAND_CONCURRENCY,
  }),
};

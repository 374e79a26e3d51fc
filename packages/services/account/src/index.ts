export {
  type AccountAppDeps,
  accountSummary,
  accountView,
  createAccountApp,
  RESERVATIONS_SHOWN,
  reservationView,
} from "./account-app.ts";
export { accountHandlers } from "./account-handlers.ts";
export {
  ACCOUNT_SERVICE_NAME,
  type AccountService,
  type AccountServiceDeps,
  accountProcessDefinition,
  accountServiceDefinition,
  startAccountService,
} from "./account-service.ts";
export {
  type Account,
  type AccountStore,
  createAccountStore,
  type Reservation,
  type ReservationStatus,
} from "./account-store.ts";
export { type AccountConfig, accountConfigSchema } from "./config.ts";
export { type AccountError, AccountErrorCode, AccountErrors } from "./errors.ts";
export { accountMigrations } from "./migrations/index.ts";

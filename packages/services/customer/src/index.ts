export { type CustomerConfig, customerConfigSchema } from "./config.ts";
export { type CustomerAppDeps, createCustomerApp } from "./customer-app.ts";
export {
  type PrepareCustomerDatabaseOptions,
  type PreparedCustomerDatabase,
  prepareCustomerDatabase,
} from "./customer-database.ts";
export { startCustomerService } from "./customer-service.ts";
export {
  type Customer,
  type CustomerChanges,
  type CustomerListQuery,
  type CustomerStatus,
  type CustomerStore,
  createCustomerStore,
  type NewCustomer,
  type UpsertOutcome,
} from "./customer-store.ts";
export { type CustomerError, CustomerErrorCode, CustomerErrors } from "./errors.ts";
export { customerMigrations } from "./migrations/index.ts";
export { seedCustomers } from "./seed-customers.ts";

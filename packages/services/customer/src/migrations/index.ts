import type { Migration } from "@sagaworks/platform";
import { createCustomers } from "./0001-create-customers.ts";

/** Every migration of the customer schema, in the order they apply. */
export const customerMigrations: readonly Migration[] = [createCustomers];

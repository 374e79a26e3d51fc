import type { Migration } from "@sagaworks/platform";
import { createAccounts } from "./0001-create-accounts.ts";

/** Every migration of the account schema, in the order they apply. */
export const accountMigrations: readonly Migration[] = [createAccounts];

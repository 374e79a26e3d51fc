import type { Migration } from "@sagaworks/platform";
import { createAccounts } from "./0001-create-accounts.ts";
import { addReservationSaga } from "./0002-reservation-saga.ts";

/** Every migration of the account schema, in the order they apply. */
export const accountMigrations: readonly Migration[] = [createAccounts, addReservationSaga];

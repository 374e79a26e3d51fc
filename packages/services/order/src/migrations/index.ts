import type { Migration } from "@sagaworks/platform";
import { createOrders } from "./0001-create-orders.ts";

/** Every migration of the order schema, in the order they apply. */
export const orderMigrations: readonly Migration[] = [createOrders];

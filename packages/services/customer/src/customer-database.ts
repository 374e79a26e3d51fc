import { type Database, runMigrations } from "@sagaworks/platform";
import { createCustomerStore, type NewCustomer, type UpsertOutcome } from "./customer-store.ts";
import { CustomerErrorCode, CustomerErrors } from "./errors.ts";
import { customerMigrations } from "./migrations/index.ts";
import { seedCustomers } from "./seed-customers.ts";

/** Options for {@link prepareCustomerDatabase}. */
export interface PrepareCustomerDatabaseOptions {
  /** Restore the seed customers after migrating; defaults to true. */
  seed?: boolean;
  /** The customers to seed; defaults to {@link seedCustomers}. */
  customers?: readonly NewCustomer[];
}

/** What {@link prepareCustomerDatabase} did. */
export interface PreparedCustomerDatabase {
  migrationsApplied: string[];
  /** Absent when seeding was off. */
  seeded?: UpsertOutcome;
}

/**
 * Brings the customer schema up to date and, unless told not to, restores the seed customers.
 * Idempotent: a second call applies no migration and writes no row.
 */
export async function prepareCustomerDatabase(
  db: Database,
  options: PrepareCustomerDatabaseOptions = {},
): Promise<PreparedCustomerDatabase> {
  const migrationsApplied = await runMigrations(db, customerMigrations);
  if (options.seed === false) return { migrationsApplied };
  const customers = options.customers ?? seedCustomers;
  try {
    const seeded = await createCustomerStore(db).upsertMany(customers);
    return { migrationsApplied, seeded };
  } catch (error) {
    const { code } = error as { code?: string };
    throw CustomerErrors.create(
      CustomerErrorCode.seedFailed,
      code === "23505"
        ? "A seed customer's email belongs to another customer. Change that customer's email, or start with CUSTOMER_SEED=false."
        : `Seeding customers failed: ${(error as Error).message}`,
      { ids: customers.map((customer) => customer.id) },
      { cause: error },
    );
  }
}

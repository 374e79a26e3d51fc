import type { customer as customerContract } from "@sagaworks/contracts";
import type { Database, Knex } from "@sagaworks/platform";
import type { z } from "zod";
import { CustomerErrorCode, CustomerErrors } from "./errors.ts";

/** Whether a customer may place orders. */
export type CustomerStatus = z.infer<typeof customerContract>["status"];

/** A stored customer. */
export interface Customer {
  id: string;
  name: string;
  email: string;
  /** Credit limit in integer minor units (cents), ≥ 0. */
  creditLimitCents: number;
  status: CustomerStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** What a new customer is made of; the store stamps the times. */
export type NewCustomer = Omit<Customer, "createdAt" | "updatedAt">;

/** The fields an update may change; absent fields keep their value. */
export type CustomerChanges = Partial<Omit<NewCustomer, "id">>;

/** One page request: ids after `afterId`, in id order, optionally of one status. */
export interface CustomerListQuery {
  limit: number;
  afterId?: string | undefined;
  status?: CustomerStatus | undefined;
}

/** What {@link CustomerStore.upsertMany} did, by id. */
export interface UpsertOutcome {
  inserted: string[];
  updated: string[];
  unchanged: string[];
}

/**
 * Where customers live. Ids and emails (case-insensitively) are unique: `create` and `update`
 * throw `CUSTOMER_ID_TAKEN` / `CUSTOMER_EMAIL_TAKEN` instead of overwriting. Missing customers
 * are `undefined`, not errors, so callers decide what "not found" means to them.
 */
export interface CustomerStore {
  /** Inserts a customer; throws a {@link CustomerError} when its id or email is taken. */
  create(customer: NewCustomer): Promise<Customer>;
  /** Reads one customer, or undefined. */
  get(id: string): Promise<Customer | undefined>;
  /** Applies changes and stamps `updatedAt`; undefined when the customer does not exist. */
  update(id: string, changes: CustomerChanges): Promise<Customer | undefined>;
  /** One page in id order; ask for `limit + 1` to learn whether another page follows. */
  list(query: CustomerListQuery): Promise<Customer[]>;
  /** Inserts or restores customers to exactly these values; untouched rows keep `updatedAt`. */
  upsertMany(customers: readonly NewCustomer[]): Promise<UpsertOutcome>;
}

// The only place that knows the column names: rows in, objects out.
interface CustomerRow {
  id: string;
  name: string;
  email: string;
  credit_limit_cents: string | number | bigint;
  status: CustomerStatus;
  created_at: Date | string;
  updated_at: Date | string;
}

const TABLE = "customers";
/** The columns every read returns, as `fromRow` takes them. */
const COLUMNS = [
  "id",
  "name",
  "email",
  "credit_limit_cents",
  "status",
  "created_at",
  "updated_at",
] as const;
const GET_TEXT = `SELECT ${COLUMNS.join(", ")} FROM ${TABLE} WHERE id = $1`;
const PRIMARY_KEY = "customers_pkey";
const EMAIL_INDEX = "customers_email_unique";

function fromRow(row: CustomerRow): Customer {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    // pg returns bigint as a string (it may exceed 2^53); limits stop at 10^11, so Number is exact.
    creditLimitCents: Number(row.credit_limit_cents),
    status: row.status,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toRow(customer: NewCustomer): Omit<CustomerRow, "created_at" | "updated_at"> {
  return {
    id: customer.id,
    name: customer.name,
    email: customer.email,
    credit_limit_cents: customer.creditLimitCents,
    status: customer.status,
  };
}

function changesToRow(changes: CustomerChanges): Partial<CustomerRow> {
  const row: Partial<CustomerRow> = {};
  if (changes.name !== undefined) row.name = changes.name;
  if (changes.email !== undefined) row.email = changes.email;
  if (changes.creditLimitCents !== undefined) row.credit_limit_cents = changes.creditLimitCents;
  if (changes.status !== undefined) row.status = changes.status;
  return row;
}

/** The columns a seed restores, in the order the upsert lists them. */
const SEEDED_COLUMNS = ["name", "email", "credit_limit_cents", "status"] as const;

/** Turns a unique violation into the conflict it means; other errors pass through. */
function conflictError(error: unknown, customer: { id?: string; email?: string }): unknown {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code !== "23505") return error;
  if (constraint === PRIMARY_KEY) {
    return CustomerErrors.create(
      CustomerErrorCode.idTaken,
      `A customer with id "${customer.id}" already exists; choose another id, or PATCH /customers/${customer.id} to change it.`,
      { id: customer.id },
      { cause: error },
    );
  }
  if (constraint === EMAIL_INDEX) {
    return CustomerErrors.create(
      CustomerErrorCode.emailTaken,
      `Another customer already uses the email "${customer.email}"; use a different address.`,
      { email: customer.email },
      { cause: error },
    );
  }
  return error;
}

/** The Postgres (or embedded PGlite) implementation of {@link CustomerStore}. */
export function createCustomerStore(db: Pick<Database, "knex" | "statement">): CustomerStore {
  const knex: Knex = db.knex;

  return {
    async create(customer) {
      try {
        const [row] = (await knex(TABLE)
          .insert(toRow(customer))
          .returning(COLUMNS)) as CustomerRow[];
        return fromRow(row as CustomerRow);
      } catch (error) {
        throw conflictError(error, customer);
      }
    },

    // Every saga's customer check reads here: one named statement of fixed text, prepared once
    // per connection, instead of a query built anew by knex each time.
    async get(id) {
      const { rows } = await db.statement<CustomerRow>("customer_get", GET_TEXT, [id]);
      return rows[0] ? fromRow(rows[0]) : undefined;
    },

    async update(id, changes) {
      try {
        const [row] = (await knex(TABLE)
          .where({ id })
          .update({ ...changesToRow(changes), updated_at: knex.fn.now() })
          .returning(COLUMNS)) as CustomerRow[];
        return row ? fromRow(row) : undefined;
      } catch (error) {
        throw conflictError(error, { id, ...(changes.email ? { email: changes.email } : {}) });
      }
    },

    async list({ limit, afterId, status }) {
      let query = knex(TABLE).select(COLUMNS).orderBy("id").limit(limit);
      if (afterId !== undefined) query = query.where("id", ">", afterId);
      if (status !== undefined) query = query.where({ status });
      return ((await query) as CustomerRow[]).map(fromRow);
    },

    async upsertMany(customers) {
      if (customers.length === 0) return { inserted: [], updated: [], unchanged: [] };
      const restore = Object.fromEntries(
        SEEDED_COLUMNS.map((column) => [column, knex.ref(`excluded.${column}`)]),
      );
      const current = SEEDED_COLUMNS.map((column) => `${TABLE}.${column}`).join(", ");
      const incoming = SEEDED_COLUMNS.map((column) => `excluded.${column}`).join(", ");
      // The WHERE skips rows that already hold the values, so a repeated seed writes nothing and
      // keeps updated_at. xmax is 0 only on a freshly inserted row version: it tells inserts
      // from updates in one round trip. Concurrent seeders are safe: ON CONFLICT serialises them.
      const query = knex(TABLE)
        .insert(customers.map(toRow))
        .onConflict("id")
        .merge({ ...restore, updated_at: knex.fn.now() })
        .whereRaw(`(${current}) is distinct from (${incoming})`)
        .returning(["id", knex.raw("(xmax = 0) as inserted")]);
      const written = (await query) as { id: string; inserted: boolean }[];
      const inserted = written.filter((row) => row.inserted).map((row) => row.id);
      const updated = written.filter((row) => !row.inserted).map((row) => row.id);
      const touched = new Set([...inserted, ...updated]);
      const unchanged = customers.map((c) => c.id).filter((id) => !touched.has(id));
      return { inserted, updated, unchanged };
    },
  };
}

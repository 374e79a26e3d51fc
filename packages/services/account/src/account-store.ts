import type { Knex } from "@sagaworks/platform";
import { AccountErrorCode, AccountErrors } from "./errors.ts";

/** A customer's credit, in integer cents: limit = available + reserved + spent, always. */
export interface Account {
  customerId: string;
  creditLimitCents: number;
  availableCents: number;
  reservedCents: number;
  spentCents: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether a reservation still holds credit. */
export type ReservationStatus = "RESERVED" | "RELEASED";

/** Credit held for one order. */
export interface Reservation {
  orderId: string;
  customerId: string;
  amountCents: number;
  status: ReservationStatus;
  /** The saga that made the reservation; null for reservations older than that record. */
  sagaId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Accounts and reservations on one knex handle: the participant's transaction inside a handler,
 * the pool elsewhere. Money moves only through `reserve` and `release`, which change the account
 * and the reservation in the same statement sequence (callers hold the account row lock).
 */
export interface AccountStore {
  /** Opens an account with all its credit available; throws `ACCOUNT_EXISTS` if it exists. */
  create(customerId: string, creditLimitCents: number): Promise<Account>;
  /** Reads one account, or undefined. */
  get(customerId: string): Promise<Account | undefined>;
  /** Reads one account and locks its row until the transaction ends. */
  lock(customerId: string): Promise<Account | undefined>;
  /** One page in customer-id order; ask for `limit + 1` to learn whether another page follows. */
  list(query: { limit: number; afterCustomerId?: string | undefined }): Promise<Account[]>;
  /** The reservation of an order, or undefined. */
  reservation(orderId: string): Promise<Reservation | undefined>;
  /** A customer's reservations, newest first. */
  reservations(customerId: string, limit: number): Promise<Reservation[]>;
  /** Moves `amountCents` from available to reserved and records the reservation and its saga. */
  reserve(
    customerId: string,
    orderId: string,
    amountCents: number,
    sagaId: string,
  ): Promise<Account>;
  /** Moves a RESERVED reservation's amount back to available and marks it RELEASED. */
  release(reservation: Reservation): Promise<Account>;
}

// The only place that knows the column names: rows in, objects out.
interface AccountRow {
  customer_id: string;
  credit_limit_cents: string | number;
  available_cents: string | number;
  reserved_cents: string | number;
  spent_cents: string | number;
  created_at: Date | string;
  updated_at: Date | string;
}

interface ReservationRow {
  order_id: string;
  customer_id: string;
  amount_cents: string | number;
  status: ReservationStatus;
  saga_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const ACCOUNTS = "accounts";
const RESERVATIONS = "reservations";
const ACCOUNT_COLUMNS = [
  "customer_id",
  "credit_limit_cents",
  "available_cents",
  "reserved_cents",
  "spent_cents",
  "created_at",
  "updated_at",
];
const RESERVATION_COLUMNS = [
  "order_id",
  "customer_id",
  "amount_cents",
  "status",
  "saga_id",
  "created_at",
  "updated_at",
];

// pg returns bigint as a string; amounts stop at 10^11, well inside Number's exact range.
function accountFromRow(row: AccountRow): Account {
  return {
    customerId: row.customer_id,
    creditLimitCents: Number(row.credit_limit_cents),
    availableCents: Number(row.available_cents),
    reservedCents: Number(row.reserved_cents),
    spentCents: Number(row.spent_cents),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function reservationFromRow(row: ReservationRow): Reservation {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    amountCents: Number(row.amount_cents),
    status: row.status,
    sagaId: row.saga_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The Postgres (or embedded PGlite) implementation of {@link AccountStore} on `knex`. */
export function createAccountStore(knex: Knex): AccountStore {
  async function moveCredit(customerId: string, fromAvailableCents: number): Promise<Account> {
    // Relative updates: even without the caller's lock, no write could be lost; the CHECKs
    // refuse any result that would overdraw or break conservation.
    const [row] = (await knex(ACCOUNTS)
      .where({ customer_id: customerId })
      .update({
        available_cents: knex.raw("available_cents - ?", [fromAvailableCents]),
        reserved_cents: knex.raw("reserved_cents + ?", [fromAvailableCents]),
        updated_at: knex.fn.now(),
      })
      .returning(ACCOUNT_COLUMNS)) as AccountRow[];
    if (!row) {
      throw AccountErrors.create(
        AccountErrorCode.notFound,
        `No account for customer "${customerId}".`,
        {
          customerId,
        },
      );
    }
    return accountFromRow(row);
  }

  return {
    async create(customerId, creditLimitCents) {
      try {
        const [row] = (await knex(ACCOUNTS)
          .insert({
            customer_id: customerId,
            credit_limit_cents: creditLimitCents,
            available_cents: creditLimitCents,
            reserved_cents: 0,
            spent_cents: 0,
          })
          .returning(ACCOUNT_COLUMNS)) as AccountRow[];
        return accountFromRow(row as AccountRow);
      } catch (error) {
        if ((error as { code?: string }).code !== "23505") throw error;
        throw AccountErrors.create(
          AccountErrorCode.exists,
          `Customer "${customerId}" already has an account; read it with GET /accounts/${customerId}.`,
          { customerId },
          { cause: error },
        );
      }
    },

    async get(customerId) {
      const row = (await knex(ACCOUNTS)
        .where({ customer_id: customerId })
        .first(ACCOUNT_COLUMNS)) as AccountRow | undefined;
      return row ? accountFromRow(row) : undefined;
    },

    async lock(customerId) {
      const row = (await knex(ACCOUNTS)
        .where({ customer_id: customerId })
        .first(ACCOUNT_COLUMNS)
        .forUpdate()) as AccountRow | undefined;
      return row ? accountFromRow(row) : undefined;
    },

    async list({ limit, afterCustomerId }) {
      let query = knex(ACCOUNTS).select(ACCOUNT_COLUMNS).orderBy("customer_id").limit(limit);
      if (afterCustomerId !== undefined) query = query.where("customer_id", ">", afterCustomerId);
      return ((await query) as AccountRow[]).map(accountFromRow);
    },

    async reservation(orderId) {
      const row = (await knex(RESERVATIONS)
        .where({ order_id: orderId })
        .first(RESERVATION_COLUMNS)) as ReservationRow | undefined;
      return row ? reservationFromRow(row) : undefined;
    },

    async reservations(customerId, limit) {
      const rows = (await knex(RESERVATIONS)
        .select(RESERVATION_COLUMNS)
        .where({ customer_id: customerId })
        .orderBy([
          { column: "created_at", order: "desc" },
          { column: "order_id", order: "desc" },
        ])
        .limit(limit)) as ReservationRow[];
      return rows.map(reservationFromRow);
    },

    async reserve(customerId, orderId, amountCents, sagaId) {
      const account = await moveCredit(customerId, amountCents);
      await knex(RESERVATIONS).insert({
        order_id: orderId,
        customer_id: customerId,
        amount_cents: amountCents,
        status: "RESERVED",
        saga_id: sagaId,
      });
      return account;
    },

    async release(reservation) {
      // Only a RESERVED row flips, so a release can never give the same credit back twice.
      const flipped = await knex(RESERVATIONS)
        .where({ order_id: reservation.orderId, status: "RESERVED" })
        .update({ status: "RELEASED", updated_at: knex.fn.now() })
        .returning("order_id");
      if (flipped.length === 0) {
        throw AccountErrors.create(
          AccountErrorCode.reservationConflict,
          `The reservation of order "${reservation.orderId}" is not RESERVED; nothing to release.`,
          { orderId: reservation.orderId },
        );
      }
      return moveCredit(reservation.customerId, -reservation.amountCents);
    },
  };
}

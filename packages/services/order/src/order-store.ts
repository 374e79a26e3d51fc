import type { orderItem, OrderStatus as orderStatusSchema } from "@sagaworks/contracts";
import type { Knex } from "@sagaworks/platform";
import type { z } from "zod";

/** Where an order is in its life. */
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** One line of an order. */
export type OrderItem = z.infer<typeof orderItem>;

/** A stored order. */
export interface Order {
  /** The orderId: the id of the saga that created it. */
  id: string;
  customerId: string;
  items: OrderItem[];
  totalCents: number;
  status: OrderStatus;
  /** Why the order was rejected or is being cancelled, when a saga said so. */
  statusReason: string | null;
  /** Free text a client may set while no saga owns the order. */
  note: string | null;
  /** The saga that owns the order while it is PENDING or CANCELLING; null otherwise. */
  lockedBySaga: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What CreateOrder brings, and the saga creating it; the store sets the status and times. */
export type NewOrder = Pick<Order, "id" | "customerId" | "items" | "totalCents" | "lockedBySaga">;

/** A status change: the new status, the saga that owns the order after it, and why. */
export interface StatusChange {
  status: OrderStatus;
  lockedBySaga: string | null;
  reason?: string;
}

/** A page position: the last order of the previous page (newest first). */
export interface OrderPosition {
  createdAt: Date;
  id: string;
}

/** One page request, newest first. */
export interface OrderListQuery {
  limit: number;
  customerId?: string | undefined;
  after?: OrderPosition | undefined;
}

/**
 * Orders on one knex handle: the participant's transaction inside a handler (PGlite has a single
 * connection, so a handler must never reach past its transaction), the pool elsewhere.
 */
export interface OrderStore {
  /** Inserts a PENDING order unless its id exists; returns the stored order either way. */
  insertIfAbsent(order: NewOrder): Promise<{ inserted: boolean; order: Order }>;
  /** Reads one order, or undefined. */
  get(id: string): Promise<Order | undefined>;
  /** Reads one order and locks its row until the transaction ends. */
  getForUpdate(id: string): Promise<Order | undefined>;
  /** Applies a status change; undefined when the order does not exist. */
  setStatus(id: string, change: StatusChange): Promise<Order | undefined>;
  /**
   * Sets the note unless the order is in one of `lockedStatuses`; `locked` when it is. Checking
   * and writing in one statement means a saga cannot take the order between the two.
   */
  setNote(
    id: string,
    note: string | null,
    lockedStatuses: readonly OrderStatus[],
  ): Promise<{ order: Order } | { locked: Order } | undefined>;
  /** One page, newest first; ask for `limit + 1` to learn whether another page follows. */
  list(query: OrderListQuery): Promise<Order[]>;
}

// The only place that knows the column names: rows in, objects out.
interface OrderRow {
  id: string;
  customer_id: string;
  items: OrderItem[] | string;
  total_cents: string | number;
  status: OrderStatus;
  status_reason: string | null;
  note: string | null;
  locked_by_saga: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const TABLE = "orders";
const COLUMNS = [
  "id",
  "customer_id",
  "items",
  "total_cents",
  "status",
  "status_reason",
  "note",
  "locked_by_saga",
  "created_at",
  "updated_at",
];

function fromRow(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customer_id,
    items: typeof row.items === "string" ? (JSON.parse(row.items) as OrderItem[]) : row.items,
    // pg returns bigint as a string; totals stop at 10^11, well inside Number's exact range.
    totalCents: Number(row.total_cents),
    status: row.status,
    statusReason: row.status_reason,
    note: row.note,
    lockedBySaga: row.locked_by_saga,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The Postgres (or embedded PGlite) implementation of {@link OrderStore} on `knex`. */
export function createOrderStore(knex: Knex): OrderStore {
  const read = (id: string) => knex(TABLE).where({ id }).first(COLUMNS);

  return {
    async insertIfAbsent(order) {
      const rows = (await knex(TABLE)
        .insert({
          id: order.id,
          customer_id: order.customerId,
          // pg would send a JS array as a Postgres array literal; jsonb needs the JSON text.
          items: JSON.stringify(order.items),
          total_cents: order.totalCents,
          status: "PENDING",
          locked_by_saga: order.lockedBySaga,
          created_at: knex.fn.now(),
          updated_at: knex.fn.now(),
        })
        .onConflict("id")
        .ignore()
        .returning(COLUMNS)) as OrderRow[];
      const inserted = rows[0];
      if (inserted) return { inserted: true, order: fromRow(inserted) };
      // The conflicting insert waited for the other writer to commit, so the row is visible.
      const existing = (await read(order.id).forUpdate()) as OrderRow;
      return { inserted: false, order: fromRow(existing) };
    },

    async get(id) {
      const row = (await read(id)) as OrderRow | undefined;
      return row ? fromRow(row) : undefined;
    },

    async getForUpdate(id) {
      const row = (await read(id).forUpdate()) as OrderRow | undefined;
      return row ? fromRow(row) : undefined;
    },

    async setStatus(id, { status, lockedBySaga, reason }) {
      const [row] = (await knex(TABLE)
        .where({ id })
        .update({
          status,
          locked_by_saga: lockedBySaga,
          // SQL, not options: no reason leaves the column as it is.
          ...(reason === undefined ? {} : { status_reason: reason }),
          updated_at: knex.fn.now(),
        })
        .returning(COLUMNS)) as OrderRow[];
      return row ? fromRow(row) : undefined;
    },

    async setNote(id, note, lockedStatuses) {
      const [row] = (await knex(TABLE)
        .where({ id })
        .whereNotIn("status", [...lockedStatuses])
        .update({ note, updated_at: knex.fn.now() })
        .returning(COLUMNS)) as OrderRow[];
      if (row) return { order: fromRow(row) };
      const current = (await read(id)) as OrderRow | undefined;
      return current ? { locked: fromRow(current) } : undefined;
    },

    async list({ limit, customerId, after }) {
      let query = knex(TABLE)
        .select(COLUMNS)
        .orderBy([
          { column: "created_at", order: "desc" },
          { column: "id", order: "desc" },
        ])
        .limit(limit);
      if (customerId !== undefined) query = query.where({ customer_id: customerId });
      if (after) {
        query = query.whereRaw("(created_at, id) < (?::timestamptz, ?)", [
          after.createdAt.toISOString(),
          after.id,
        ]);
      }
      return ((await query) as OrderRow[]).map(fromRow);
    },
  };
}

import { OrderError, OrderErrorCode } from "./errors.ts";
import type { OrderPosition } from "./order-store.ts";

// Cursors are opaque to clients, so the position behind them (today: created_at and id of the
// last order of a page) can change without breaking a client that kept one.

/** Encodes the last order of a page as the cursor of the next page. */
export function encodeOrderCursor(position: OrderPosition): string {
  return Buffer.from(
    JSON.stringify({ at: position.createdAt.toISOString(), id: position.id }),
    "utf8",
  ).toString("base64url");
}

/** Decodes a cursor from {@link encodeOrderCursor}; throws `CURSOR_INVALID` for anything else. */
export function decodeOrderCursor(cursor: string): OrderPosition {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null) {
      const { at, id } = value as { at?: unknown; id?: unknown };
      const createdAt = typeof at === "string" ? new Date(at) : undefined;
      if (createdAt && !Number.isNaN(createdAt.getTime()) && typeof id === "string" && id) {
        return { createdAt, id };
      }
    }
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw new OrderError(
    OrderErrorCode.cursorInvalid,
    "The cursor is not one this service returned; send the nextCursor of the previous page, or no cursor to start again.",
    { cursor },
  );
}

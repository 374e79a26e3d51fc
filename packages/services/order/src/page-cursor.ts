import {
  cursorText,
  cursorTimestamp,
  decodePageCursor,
  encodePageCursor,
} from "@sagaworks/service-kit";
import { z } from "zod";
import type { OrderPosition } from "./order-store.ts";

// The order list's cursor: created_at and id of the last order of a page, through the kit's one
// cursor helper (opaque, strictly checked: a date Postgres cannot store, or anything else this
// service did not return, is a 400 CURSOR_INVALID).
const position = z.tuple([cursorTimestamp, cursorText]);

/** Encodes the last order of a page as the cursor of the next page. */
export function encodeOrderCursor(last: OrderPosition): string {
  return encodePageCursor("orders", [last.createdAt.toISOString(), last.id]);
}

/** Decodes a cursor from {@link encodeOrderCursor}; throws `CURSOR_INVALID` (400) for anything else. */
export function decodeOrderCursor(cursor: string): OrderPosition {
  const [createdAt, id] = decodePageCursor(cursor, "orders", position);
  return { createdAt, id };
}

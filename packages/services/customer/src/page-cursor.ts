import { CustomerError, CustomerErrorCode } from "./errors.ts";

// Cursors are opaque to clients so that the key behind them (today: the last id of a page) can
// change without breaking anyone who stored one.

/** Encodes the last id of a page as the cursor of the next page. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`id:${lastId}`, "utf8").toString("base64url");
}

/** Decodes a cursor from {@link encodeCursor}; throws `CURSOR_INVALID` for anything else. */
export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  // base64url decoding ignores junk silently; re-encoding tells a real cursor from a lookalike.
  if (text.startsWith("id:") && text.length > 3 && encodeCursor(text.slice(3)) === cursor) {
    return text.slice(3);
  }
  throw new CustomerError(
    CustomerErrorCode.cursorInvalid,
    "The cursor is not one this service returned; send the nextCursor of the previous page, or no cursor to start again.",
    { cursor },
  );
}

import { AccountError, AccountErrorCode } from "./errors.ts";

// Cursors are opaque to clients, so the key behind them (today: the last customer id of a page)
// can change without breaking a client that kept one.

/** Encodes the last customer id of a page as the cursor of the next page. */
export function encodeAccountCursor(lastCustomerId: string): string {
  return Buffer.from(`account:${lastCustomerId}`, "utf8").toString("base64url");
}

/** Decodes a cursor from {@link encodeAccountCursor}; throws `CURSOR_INVALID` for anything else. */
export function decodeAccountCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const id = text.startsWith("account:") ? text.slice("account:".length) : "";
  // Decoding skips characters outside the alphabet; encoding again tells a real cursor apart.
  if (id && encodeAccountCursor(id) === cursor) return id;
  throw new AccountError(
    AccountErrorCode.cursorInvalid,
    "The cursor is not one this service returned; send the nextCursor of the previous page, or no cursor to start again.",
    { cursor },
  );
}

import { cursorText, decodePageCursor, encodePageCursor } from "@sagaworks/service-kit";
import { z } from "zod";

// The account list's cursor: the last customer id of a page, through the kit's one cursor helper
// (opaque, strictly checked: anything this service did not return is a 400 CURSOR_INVALID).
const position = z.tuple([cursorText]);

/** Encodes the last customer id of a page as the cursor of the next page. */
export function encodeAccountCursor(lastCustomerId: string): string {
  return encodePageCursor("accounts", [lastCustomerId]);
}

/** Decodes a cursor from {@link encodeAccountCursor}; throws `CURSOR_INVALID` (400) for anything else. */
export function decodeAccountCursor(cursor: string): string {
  return decodePageCursor(cursor, "accounts", position)[0];
}

import { cursorText, decodePageCursor, encodePageCursor } from "@sagaworks/service-kit";
import { z } from "zod";

// The customer list's cursor: the last id of a page, through the kit's one cursor helper (opaque,
// strictly checked: anything this service did not return is a 400 CURSOR_INVALID).
const position = z.tuple([cursorText]);

/** Encodes the last id of a page as the cursor of the next page. */
export function encodeCursor(lastId: string): string {
  return encodePageCursor("customers", [lastId]);
}

/** Decodes a cursor from {@link encodeCursor}; throws `CURSOR_INVALID` (400) for anything else. */
export function decodeCursor(cursor: string): string {
  return decodePageCursor(cursor, "customers", position)[0];
}

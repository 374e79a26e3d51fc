import { z } from "zod";
import { ServiceErrorCode, ServiceErrors } from "./errors.ts";

/** Code of the 400 answered for a cursor this service did not return. */
export const CURSOR_INVALID = ServiceErrorCode.cursorInvalid;

// NUL, or a surrogate half without its other half (in `u` mode a proper pair is one character).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * A text value inside a cursor: 1 to 200 characters that Postgres and JSON can store (no NUL,
 * no lone surrogate), so a crafted cursor can never reach the database as something it rejects.
 */
export const cursorText = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (text) => !text.includes("\u0000") && !LONE_SURROGATE.test(text),
    "holds a character Postgres cannot store",
  );

/**
 * A timestamp inside a cursor, as `Date.toISOString()` writes it (years 0000 to 9999 only), so
 * that it always casts to `timestamptz`.
 */
export const cursorTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "is not a timestamp")
  .refine((text) => !Number.isNaN(Date.parse(text)), "is not a date")
  .transform((text) => new Date(text));

/**
 * Encodes a page position (the sort key of a page's last item, e.g. `[createdAt, id]`) as an
 * opaque cursor. `kind` names the list, so a cursor of one list is refused by another.
 */
export function encodePageCursor(kind: string, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...position]), "utf8").toString("base64url");
}

/**
 * Decodes a cursor made by {@link encodePageCursor} for `kind`, checking every value of the
 * position against `position` (a zod tuple, e.g. `z.tuple([cursorTimestamp, z.uuid()])`).
 * Anything else — bad base64, bad JSON, another list's cursor, a value of the wrong shape — is
 * a 400 `CURSOR_INVALID` error, never a database error.
 */
export function decodePageCursor<Position extends z.ZodType>(
  cursor: string,
  kind: string,
  position: Position,
): z.output<Position> {
  const refuse = (problem: string): never => {
    throw ServiceErrors.format(CURSOR_INVALID, { field: "cursor", problem });
  };
  if (cursor.length > 1000) return refuse("too long");
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  // base64url decoding skips characters outside its alphabet; encoding again tells a cursor
  // this service made from a lookalike.
  if (Buffer.from(text, "utf8").toString("base64url") !== cursor) return refuse("not base64url");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse("not JSON");
  }
  if (!Array.isArray(value) || value[0] !== kind) return refuse(`not a cursor of ${kind}`);
  const parsed = position.safeParse(value.slice(1));
  if (!parsed.success) {
    return refuse(
      parsed.error.issues.map((issue) => `[${issue.path.join(".")}] ${issue.message}`).join("; "),
    );
  }
  return parsed.data;
}

/** One list's cursor: the last item of a page in, the next page's position out. */
export interface PageCursor<Item> {
  /** The cursor of the page after the one that ends with `last`. */
  encode(last: Item): string;
  /** The position a cursor from {@link PageCursor.encode} stands for; `CURSOR_INVALID` (400) for anything else. */
  decode(cursor: string): Item;
}

/**
 * The cursor of one list (`kind`), from its position schema and how an item maps to and from
 * it, so that each service states its sort key once instead of writing its own encode/decode.
 */
export function definePageCursor<Position extends z.ZodType, Item>(
  kind: string,
  position: Position,
  codec: {
    toPosition(item: Item): readonly (string | number)[];
    fromPosition(values: z.output<Position>): Item;
  },
): PageCursor<Item> {
  return {
    encode: (last) => encodePageCursor(kind, codec.toPosition(last)),
    decode: (cursor) => codec.fromPosition(decodePageCursor(cursor, kind, position)),
  };
}

/** The cursor of a list sorted by one text key (an id): the last key of a page. */
export function textKeyPageCursor(kind: string): PageCursor<string> {
  return definePageCursor(kind, z.tuple([cursorText]), {
    toPosition: (key: string) => [key],
    fromPosition: ([key]) => key,
  });
}

/** One page of a list as a route answers it: its items and the cursor of the next page, if any. */
export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/**
 * The page of `limit` items out of `rows`, read with `limit + 1`: the extra row, when there, only
 * tells that another page follows, without a count query. `nextCursor` names where it starts.
 */
export function pageOf<Row, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
  nextCursor: (last: Row) => string,
): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => toItem(row)),
    nextCursor: rows.length > limit && last !== undefined ? nextCursor(last) : null,
  };
}

import { z } from "zod";
import { storableString } from "./storable.ts";

/**
 * `limit` and `cursor` of a paginated list: 1 to 200 items, 50 by default, and an opaque cursor
 * the service returned. Spread it into a route's querystring schema.
 */
export const pageQueryShape = {
  limit: z.coerce
    .number({ message: "must be a whole number from 1 to 200" })
    .int("must be a whole number from 1 to 200")
    .min(1, "must be at least 1")
    .max(200, "must be at most 200")
    .default(50),
  cursor: storableString().min(1).max(400).optional(),
};

/** The response body of a paginated list of `item`: what `pageOf` returns. */
export function pageBody<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * Narrows an id schema to characters that travel in URL paths and log lines unescaped, for ids
 * a client chooses when it creates something (ids already stored are read with the wider one).
 */
export function urlSafeId(schema: z.ZodString): z.ZodString {
  return schema.regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    "use letters, digits and . _ : - only, starting with a letter or digit (e.g. cust-ada)",
  );
}

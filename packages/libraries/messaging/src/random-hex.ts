import { randomFillSync } from "node:crypto";

// Trace and span ids are drawn on every transition and for every message sent while tracing is
// off (see newTraceparent). A randomBytes call each is a call into the CSPRNG for eight bytes; they are taken from a
// pool filled a few kilobytes at a time instead, as node's randomUUID does. Each byte is handed
// out once, so the ids are as random as before.
const pool = Buffer.alloc(4096);
let next = pool.length;

/** `bytes` random bytes (at most 4096) as lowercase hex, like `randomBytes(bytes).toString("hex")`. */
export function randomHex(bytes: number): string {
  if (next + bytes > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const hex = pool.toString("hex", next, next + bytes);
  next += bytes;
  return hex;
}

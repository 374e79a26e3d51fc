// Canonical JSON and the content hash that pins a running saga to its exact definition.
//
// Decision: the hash uses node:crypto's sha256. It is a pure computation (no file, network or
// clock), synchronous, and native-fast, and every consumer of this package (orchestrator, CLI,
// tests) runs on Node. The package stays free of I/O; should it ever need to run in a browser,
// swap this one function for a pure-JS sha256 (e.g. @noble/hashes) — the output is identical.
import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every level and no whitespace: the same data always gives the
 * same text, whatever key order or formatting the author used. Array order is kept (it matters).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    return text === undefined ? "null" : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
}

/** "sha256:<hex>" of the canonical JSON of `value`. */
export function contentHash(value: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(value), "utf8").digest("hex")}`;
}

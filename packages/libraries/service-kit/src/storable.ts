import { z } from "zod";

/** The deepest JSON any request body or free-form field may nest; see {@link storableJson}. */
export const MAX_JSON_DEPTH = 32;

// NUL (U+0000) cannot be stored in a Postgres text or jsonb value, and a lone UTF-16 surrogate
// is not Unicode: Postgres refuses it in jsonb and JSON encoders replace or reject it. With the
// `u` flag a surrogate pair is one code point, so only unpaired halves match \p{Cs}.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is this pattern's job
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  const at = match.index;
  return match[0] === "\u0000"
    ? `contains a NUL character (U+0000) at position ${at}; remove it`
    : `contains a lone UTF-16 surrogate at position ${at}; send well-formed Unicode`;
}

/**
 * Narrows a string schema to what Postgres and JSON can store: no NUL (U+0000) and no lone
 * surrogate. Every string a route reads (path, query, header, body) goes through it.
 */
export function storableText<Schema extends z.ZodString>(schema: Schema): Schema {
  return schema.superRefine((text, ctx) => {
    const reason = unstorableReason(text);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
  }) as Schema;
}

/** `z.string()` limited to what Postgres and JSON can store; see {@link storableText}. */
export function storableString(): z.ZodString {
  return storableText(z.string());
}

/** Where a JSON value breaks the storage rules, and how. */
export interface UnstorableProblem {
  /** Path in the value, e.g. `input.items.0.name`; the root is the `root` given. */
  path: string;
  message: string;
}

/**
 * Walks a parsed JSON value without recursion (so any depth is safe to inspect) and returns the
 * first problem: nesting deeper than `maxDepth`, or a key or string that cannot be stored.
 */
export function findUnstorable(
  value: unknown,
  options: { root?: string; maxDepth?: number } = {},
): UnstorableProblem | undefined {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value, path: options.root ?? "", depth: 0 },
  ];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof item.value === "string") {
      const reason = unstorableReason(item.value);
      if (reason) return { path: item.path || "(value)", message: reason };
      continue;
    }
    if (typeof item.value !== "object" || item.value === null) continue;
    if (item.depth >= maxDepth) {
      return {
        path: item.path || "(value)",
        message: `nests deeper than ${maxDepth} levels; flatten it`,
      };
    }
    const entries = Array.isArray(item.value)
      ? item.value.map((element, index) => [String(index), element] as const)
      : Object.entries(item.value);
    for (const [key, element] of entries) {
      const reason = unstorableReason(key);
      if (reason) return { path: join(item.path, key), message: `key ${reason}` };
      stack.push({ value: element, path: join(item.path, key), depth: item.depth + 1 });
    }
  }
  return undefined;
}

/**
 * Any JSON value (for free-form fields such as a saga's input) that Postgres and JSON can store:
 * at most {@link MAX_JSON_DEPTH} levels deep, no NUL and no lone surrogate in keys or strings.
 */
export function storableJson(maxDepth = MAX_JSON_DEPTH): z.ZodType<unknown> {
  return z.unknown().superRefine((value, ctx) => {
    const problem = findUnstorable(value, { maxDepth });
    if (problem) {
      ctx.addIssue({
        code: "custom",
        message: `${problem.message}`,
        path: problem.path === "(value)" ? [] : problem.path.split("."),
      });
    }
  });
}

// Data mapping: how payloads, request params and bodies take values from the saga context.
//
// A mapping is JSON. Inside it, a string that starts with "$." is a path into the context:
//   $.input.customerId                 the saga's input
//   $.steps.<step>.reply.orderId       the success reply of an earlier command step
//   $.steps.<step>.response.body.x     the success response body of an earlier HTTP step
//   $.steps.<step>.response.status     its HTTP status
//   $.sagaId                           the saga instance id (a good idempotency or entity key)
//   $.failure.step / .kind / .code / .message   why compensation started (compensations only)
// Segments are `.name` (letters, digits, "_" and "-") or `[index]`. Any other string is a literal,
// except that a literal starting with "$" must be escaped by doubling it: "$$5 off" means "$5 off".
// A lone "$" or "$name" is an error, so a mistyped path is never silently sent as text.

/** A JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A compiled mapping: literal subtrees are kept whole, paths become `ref` segment lists. */
export type MappingExpr =
  | { readonly literal: JsonValue }
  | { readonly ref: ReadonlyArray<string | number> }
  | { readonly object: Readonly<Record<string, MappingExpr>> }
  | { readonly array: readonly MappingExpr[] };

/** What a string in a mapping means. */
export type MappingString =
  | { readonly kind: "path"; readonly segments: Array<string | number> }
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "invalid-path"; readonly reason: string }
  | { readonly kind: "unescaped"; readonly text: string };

const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/y;

/** Reads a mapping string: a path, a literal (with "$$" unescaped), or a syntax problem. */
export function parseMappingString(text: string): MappingString {
  if (!text.startsWith("$")) return { kind: "literal", value: text };
  if (text.startsWith("$$")) return { kind: "literal", value: text.slice(1) };
  if (!text.startsWith("$.")) return { kind: "unescaped", text };
  const segments: Array<string | number> = [];
  let at = 1;
  while (at < text.length) {
    SEGMENT.lastIndex = at;
    const match = SEGMENT.exec(text);
    if (!match) {
      return {
        kind: "invalid-path",
        reason: `unexpected "${text.slice(at, at + 12)}" at character ${at + 1}`,
      };
    }
    segments.push(match[1] !== undefined ? match[1] : Number(match[2]));
    at = SEGMENT.lastIndex;
  }
  return { kind: "path", segments };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function containsRef(expr: MappingExpr): boolean {
  return !("literal" in expr);
}

/** Compiles an authored mapping into a `MappingExpr`; call it only after validation passed. */
export function compileMapping(value: unknown): MappingExpr {
  if (typeof value === "string") {
    const parsed = parseMappingString(value);
    if (parsed.kind === "path") return { ref: parsed.segments };
    return { literal: parsed.kind === "literal" ? parsed.value : value };
  }
  if (Array.isArray(value)) {
    const items = value.map(compileMapping);
    if (!items.some(containsRef)) {
      return { literal: items.map((item) => (item as { literal: JsonValue }).literal) };
    }
    return { array: items };
  }
  if (isPlainObject(value)) {
    // Object.fromEntries defines own properties, so no key (not even "__proto__") can reach a
    // prototype; the validator refuses such keys anyway.
    const fields: Record<string, MappingExpr> = Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, compileMapping(value[key])]),
    );
    if (!Object.values(fields).some(containsRef)) {
      const literal: Record<string, JsonValue> = Object.fromEntries(
        Object.entries(fields).map(([key, field]) => [
          key,
          (field as { literal: JsonValue }).literal,
        ]),
      );
      return { literal };
    }
    return { object: fields };
  }
  return { literal: (value ?? null) as JsonValue };
}

/** Evaluates a compiled mapping against a saga context; a missing path yields `undefined`. */
export function evaluateMapping(expr: MappingExpr, context: unknown): unknown {
  if ("literal" in expr) return expr.literal;
  if ("ref" in expr) {
    let current: unknown = context;
    for (const segment of expr.ref) {
      if (current === null || typeof current !== "object") return undefined;
      // Own properties only: "$.input.constructor" must not read Object.prototype's function.
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string | number, unknown>)[segment];
    }
    return current;
  }
  if ("array" in expr) return expr.array.map((item) => evaluateMapping(item, context));
  const out: Array<[string, unknown]> = [];
  for (const [key, field] of Object.entries(expr.object)) {
    const value = evaluateMapping(field, context);
    if (value !== undefined) out.push([key, value]);
  }
  return Object.fromEntries(out);
}

/** Bytes of the literal parts of a mapping once serialised (paths count as nothing). */
export function literalByteSize(value: unknown): number {
  const stripped = JSON.stringify(value, (_key, field: unknown) =>
    typeof field === "string" && parseMappingString(field).kind === "path" ? "" : field,
  );
  return new TextEncoder().encode(stripped ?? "").length;
}

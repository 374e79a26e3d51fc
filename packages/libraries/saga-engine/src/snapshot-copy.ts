// The working copy every transition starts from. A snapshot is JSON data (it is stored as jsonb),
// so it is copied by walking its objects and arrays, several times cheaper than structuredClone,
// which serialises the whole value and reads it back; the copy is the same. Anything that is not
// a plain object, a dense plain array or a primitive (a Date, a Map, a class instance, a function)
// is handed to structuredClone, so it is copied, or refused, exactly as before. What a snapshot
// never holds is not preserved: a cycle, or one object reached by two paths (JSON has neither).

/** A deep copy of `value`, equal to `structuredClone(value)` for JSON data. */
export function copyJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) {
    return typeof value === "function" || typeof value === "symbol"
      ? structuredClone(value)
      : value;
  }
  if (Array.isArray(value)) return copyArray(value) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const field = copyJson(source[key]);
    // An own `__proto__` (JSON.parse makes one) stays a field; assigning it would set the prototype.
    if (key === "__proto__") {
      Object.defineProperty(copy, key, {
        value: field,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = field;
    }
  }
  return copy as T;
}

function copyArray(source: unknown[]): unknown[] {
  // A hole, or a named property besides the elements, is left to structuredClone's rules.
  if (Object.getPrototypeOf(source) !== Array.prototype) return structuredClone(source);
  const copy: unknown[] = [];
  for (let i = 0; i < source.length; i++) {
    if (!(i in source)) return structuredClone(source);
    copy.push(copyJson(source[i]));
  }
  // No holes, so any key beyond the indices is a named property.
  return Object.keys(source).length === source.length ? copy : structuredClone(source);
}

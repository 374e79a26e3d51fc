// Checks a parsed definition before anything else reads it: its nesting depth, and keys that name
// an object's prototype. Both walks are iterative, so no input can exhaust the stack here, and
// every later check (zod, the schema walks, the compiler) only ever sees shallow, plain data.
import { type Diagnostic, DiagnosticCode, formatJsonPath, type JsonPath } from "./errors.ts";

/**
 * Deepest nesting of objects and arrays accepted in a definition: 64 levels. The shipped sagas
 * use under 10; deep input schemas rarely pass 20. Without a bound, a value nested ~1,200 levels
 * deep overflows the stack of recursive readers (the JSON parser, zod, schema walks).
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Keys refused anywhere in a definition. `JSON.parse` keeps `"__proto__"` as an own key, but any
 * copy by assignment (`Object.assign`, `obj[key] = …`) turns it into a prototype change, and a
 * path such as `$.input.constructor` would read a function instead of data.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/** The most problems of each kind reported for one value; a hostile file gets a bounded answer. */
const MAX_REPORTED = 50;

function problem(code: DiagnosticCode, path: JsonPath, message: string): Diagnostic {
  return { code, message, path: [...path], pointer: formatJsonPath(path) };
}

/** Every reserved key and every over-deep value, located by path. Empty when the value is sound. */
export function guardValue(value: unknown): Diagnostic[] {
  const found: Diagnostic[] = [];
  let deep = 0;
  let reserved = 0;
  const stack: Array<{ value: unknown; path: JsonPath }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: JsonPath };
    if (typeof current !== "object" || current === null) continue;
    if (path.length >= MAX_NESTING_DEPTH) {
      if (deep++ < MAX_REPORTED) {
        found.push(
          problem(
            DiagnosticCode.nestingTooDeep,
            path,
            `Flatten this value: it is nested more than ${MAX_NESTING_DEPTH} levels deep, the most a definition may use.`,
          ),
        );
      }
      continue;
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        stack.push({ value: current[index], path: [...path, index] });
      }
      continue;
    }
    const keys = Object.keys(current);
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string;
      if (RESERVED_KEYS.has(key)) {
        if (reserved++ < MAX_REPORTED) {
          found.push(
            problem(
              DiagnosticCode.keyReserved,
              [...path, key],
              `Rename "${key}": it names a JavaScript object's prototype machinery, so it is refused as a key anywhere in a definition.`,
            ),
          );
        }
        continue;
      }
      stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return found;
}

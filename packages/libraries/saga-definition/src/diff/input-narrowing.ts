// Where a new input schema accepts less than the old one: a start request that the old version
// took is refused by the new one. Compares the keywords authors use for inputs (type, enum,
// const, required, properties, additionalProperties, items, bounds, pattern, format); a change
// outside them is not called narrowing, and the caller still reports that the schema changed.
import { canonicalJson } from "../content-hash.ts";
import type { JsonPath } from "../errors.ts";

/** One way the new schema accepts less, at a path inside the input schema. */
export interface Narrowing {
  path: JsonPath;
  message: string;
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function types(schema: Schema): Set<string> | undefined {
  const type = schema.type;
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((t): t is string => typeof t === "string"));
  return undefined;
}

const text = (value: unknown) => JSON.stringify(value);

/** Keywords whose larger value accepts less (and the ones whose smaller value does). */
const LOWER_BOUNDS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const UPPER_BOUNDS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];

function compare(before: Schema, after: Schema, path: JsonPath, out: Narrowing[]): void {
  const oldTypes = types(before);
  const newTypes = types(after);
  if (newTypes) {
    // "number" accepts integers: narrowing number → integer is a narrowing, the reverse is not.
    const lost = [...(oldTypes ?? ["any type"])].filter(
      (type) => !newTypes.has(type) && !(type === "integer" && newTypes.has("number")),
    );
    if (lost.length > 0) {
      out.push({
        path: [...path, "type"],
        message: `type narrowed from ${oldTypes ? [...oldTypes].join("|") : "any"} to ${[...newTypes].join("|")}: ${lost.join(", ")} no longer accepted`,
      });
    }
  }
  if (Array.isArray(after.enum)) {
    const allowed = new Set(after.enum.map(canonicalJson));
    if (!Array.isArray(before.enum)) {
      out.push({ path: [...path, "enum"], message: `now limited to ${text(after.enum)}` });
    } else {
      const lost = before.enum.filter((value) => !allowed.has(canonicalJson(value)));
      if (lost.length > 0) {
        out.push({
          path: [...path, "enum"],
          message: `enum narrowed: ${lost.map(text).join(", ")} no longer accepted`,
        });
      }
    }
  }
  if ("const" in after && canonicalJson(after.const) !== canonicalJson(before.const)) {
    out.push({ path: [...path, "const"], message: `now must equal ${text(after.const)}` });
  }
  for (const keyword of LOWER_BOUNDS) {
    const was = before[keyword];
    const now = after[keyword];
    if (typeof now === "number" && (typeof was !== "number" || now > was)) {
      out.push({
        path: [...path, keyword],
        message: `${keyword} raised from ${was ?? "none"} to ${now}`,
      });
    }
  }
  for (const keyword of UPPER_BOUNDS) {
    const was = before[keyword];
    const now = after[keyword];
    if (typeof now === "number" && (typeof was !== "number" || now < was)) {
      out.push({
        path: [...path, keyword],
        message: `${keyword} lowered from ${was ?? "none"} to ${now}`,
      });
    }
  }
  for (const keyword of ["pattern", "format", "multipleOf"]) {
    if (keyword in after && canonicalJson(after[keyword]) !== canonicalJson(before[keyword])) {
      out.push({
        path: [...path, keyword],
        message: `${keyword} ${keyword in before ? `changed from ${text(before[keyword])}` : "added"}: ${text(after[keyword])}`,
      });
    }
  }
  const oldRequired = new Set(Array.isArray(before.required) ? before.required : []);
  const newlyRequired = (Array.isArray(after.required) ? after.required : []).filter(
    (name) => !oldRequired.has(name),
  );
  if (newlyRequired.length > 0) {
    out.push({
      path: [...path, "required"],
      message: `newly required: ${newlyRequired.map(text).join(", ")}`,
    });
  }
  const oldProperties = isSchema(before.properties) ? before.properties : {};
  const newProperties = isSchema(after.properties) ? after.properties : {};
  const closed = after.additionalProperties === false;
  if (closed && before.additionalProperties !== false) {
    out.push({
      path: [...path, "additionalProperties"],
      message: "additional properties are no longer accepted",
    });
  }
  for (const [name, oldProperty] of Object.entries(oldProperties)) {
    const newProperty = newProperties[name];
    if (newProperty === undefined) {
      if (closed) {
        out.push({
          path: [...path, "properties"],
          message: `property ${text(name)} removed, and additional properties are refused`,
        });
      }
      continue;
    }
    if (isSchema(oldProperty) && isSchema(newProperty)) {
      compare(oldProperty, newProperty, [...path, "properties", name], out);
    } else if (newProperty === false && oldProperty !== false) {
      out.push({ path: [...path, "properties", name], message: `property ${text(name)} refused` });
    }
  }
  if (isSchema(before.items) && isSchema(after.items)) {
    compare(before.items, after.items, [...path, "items"], out);
  } else if (isSchema(after.items) && before.items === undefined) {
    compare({}, after.items, [...path, "items"], out);
  }
}

/** Every way `after` accepts less than `before`; paths start with `basePath` (e.g. `["input"]`). */
export function inputNarrowings(before: unknown, after: unknown, basePath: JsonPath): Narrowing[] {
  const out: Narrowing[] = [];
  if (isSchema(before) && isSchema(after)) compare(before, after, basePath, out);
  return out;
}

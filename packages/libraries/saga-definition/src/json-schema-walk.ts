// Just enough JSON Schema to check data mappings statically: follow a path through `properties`,
// `items` and `additionalProperties`, across `anyOf`/`oneOf`/`allOf` and local `$ref`s, and read
// which JSON types a schema allows. Anything it cannot see through counts as "unknown" and is
// accepted, so the checker only reports what is certainly wrong.
import type { JsonSchema } from "./contract-registry.ts";

/** JSON value types as JSON Schema names them. */
export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

type SchemaObject = { readonly [key: string]: unknown };

const MAX_REF_DEPTH = 32;

function isObject(value: unknown): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deref(root: JsonSchema, schema: unknown, depth: number): unknown {
  if (!isObject(schema) || typeof schema.$ref !== "string" || depth > MAX_REF_DEPTH) return schema;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(schema.$ref);
  if (!match || !isObject(root)) return {};
  const group = root[match[1] as string];
  if (!isObject(group)) return {};
  return deref(root, group[decodeURIComponent(match[2] as string)], depth + 1);
}

/** Flattens a schema into its alternatives (anyOf/oneOf), resolving `$ref`s. */
function branches(root: JsonSchema, schema: unknown, depth = 0): unknown[] {
  const resolved = deref(root, schema, depth);
  if (!isObject(resolved) || depth > MAX_REF_DEPTH) return [resolved];
  const alternatives = Array.isArray(resolved.anyOf)
    ? resolved.anyOf
    : Array.isArray(resolved.oneOf)
      ? resolved.oneOf
      : undefined;
  if (alternatives && alternatives.length > 0) {
    return alternatives.flatMap((alternative) => branches(root, alternative, depth + 1));
  }
  if (Array.isArray(resolved.allOf) && resolved.allOf.length > 0) {
    // Treat allOf members as alternatives for lookups: a property declared in any member exists.
    return [resolved, ...resolved.allOf.flatMap((member) => branches(root, member, depth + 1))];
  }
  return [resolved];
}

/** True when the schema puts no constraint on shape (`true`, `{}`), so any path is possible. */
function isUnconstrained(schema: unknown): boolean {
  if (schema === true) return true;
  if (!isObject(schema)) return false;
  return (
    schema.type === undefined &&
    schema.properties === undefined &&
    schema.items === undefined &&
    schema.const === undefined &&
    schema.enum === undefined &&
    schema.additionalProperties === undefined &&
    schema.anyOf === undefined &&
    schema.oneOf === undefined &&
    schema.allOf === undefined &&
    schema.$ref === undefined
  );
}

function child(root: JsonSchema, schema: unknown, segment: string | number): unknown[] {
  const found: unknown[] = [];
  for (const branch of branches(root, schema)) {
    if (isUnconstrained(branch)) {
      found.push({});
      continue;
    }
    if (!isObject(branch)) continue;
    if (typeof segment === "string") {
      const properties = branch.properties;
      if (isObject(properties) && Object.hasOwn(properties, segment)) {
        found.push(properties[segment]);
      } else if (isObject(branch.additionalProperties) || branch.additionalProperties === true) {
        found.push(branch.additionalProperties);
      }
    } else {
      if (Array.isArray(branch.prefixItems) && segment < branch.prefixItems.length) {
        found.push(branch.prefixItems[segment]);
      } else if (isObject(branch.items) || branch.items === true) {
        found.push(branch.items);
      } else if (Array.isArray(branch.items) && segment < branch.items.length) {
        found.push(branch.items[segment]);
      }
    }
  }
  return found;
}

/** Result of following a path: the schema reached, or the index of the first missing segment. */
export type SchemaLookup =
  | { readonly found: true; readonly schema: JsonSchema }
  | { readonly found: false; readonly missingAt: number };

/** Follows `segments` from `schema` (whose `$ref`s resolve against `root`). */
export function lookupPath(
  root: JsonSchema,
  schema: unknown,
  segments: ReadonlyArray<string | number>,
): SchemaLookup {
  let current: unknown[] = [schema];
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as string | number;
    const next = current.flatMap((candidate) => child(root, candidate, segment));
    if (next.length === 0) return { found: false, missingAt: index };
    current = next;
  }
  const schemaReached: JsonSchema =
    current.length === 1 ? (current[0] as JsonSchema) : { anyOf: current };
  return { found: true, schema: schemaReached };
}

function typeOfValue(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "object") {
    return typeof value as JsonType;
  }
  return "null";
}

/** The JSON types a schema allows, or undefined when it allows anything or cannot be told. */
export function schemaTypes(root: JsonSchema, schema: unknown): Set<JsonType> | undefined {
  const types = new Set<JsonType>();
  for (const branch of branches(root, schema)) {
    if (!isObject(branch)) {
      if (branch === false) continue;
      return undefined;
    }
    if (typeof branch.type === "string") types.add(branch.type as JsonType);
    else if (Array.isArray(branch.type)) for (const t of branch.type) types.add(t as JsonType);
    else if (Object.hasOwn(branch, "const")) types.add(typeOfValue(branch.const));
    else if (Array.isArray(branch.enum)) for (const v of branch.enum) types.add(typeOfValue(v));
    else if (branch.properties !== undefined) types.add("object");
    else if (branch.items !== undefined) types.add("array");
    else return undefined;
  }
  return types.size > 0 ? types : undefined;
}

/** The JSON type of a literal value. */
export function literalType(value: unknown): JsonType {
  return typeOfValue(value);
}

/** True when every type in `source` fits one in `target` (integers fit numbers and back). */
export function typesCompatible(source: Set<JsonType>, target: Set<JsonType>): boolean {
  for (const type of source) {
    const numeric = type === "integer" || type === "number";
    const fits = target.has(type) || (numeric && (target.has("number") || target.has("integer")));
    if (!fits) return false;
  }
  return true;
}

/** What an object schema says about its fields, when it is a single plain object schema. */
export interface ObjectShape {
  readonly properties: Readonly<Record<string, unknown>>;
  readonly required: readonly string[];
  /** False when undeclared fields are not expected (no schema-valued additionalProperties). */
  readonly open: boolean;
}

/** The declared fields of an object schema, or undefined when it is not a single object shape. */
export function objectShape(root: JsonSchema, schema: unknown): ObjectShape | undefined {
  const all = branches(root, schema).filter(
    (branch) => isObject(branch) && (branch.type === "object" || isObject(branch.properties)),
  ) as SchemaObject[];
  if (all.length !== 1) return undefined;
  const only = all[0] as SchemaObject;
  const properties = isObject(only.properties) ? only.properties : {};
  const required = Array.isArray(only.required)
    ? only.required.filter((key): key is string => typeof key === "string")
    : [];
  const open =
    isObject(only.additionalProperties) ||
    (only.additionalProperties === true && !isObject(only.properties)) ||
    (only.additionalProperties === undefined && !isObject(only.properties));
  return { properties, required, open };
}

/** The items schema of an array schema, when there is one. */
export function arrayItems(root: JsonSchema, schema: unknown): unknown {
  for (const branch of branches(root, schema)) {
    if (isObject(branch) && (isObject(branch.items) || branch.items === true)) return branch.items;
  }
  return undefined;
}

/** The allowed literal values (`const`/`enum`) of a schema, or undefined when unrestricted. */
export function allowedValues(root: JsonSchema, schema: unknown): unknown[] | undefined {
  const values: unknown[] = [];
  for (const branch of branches(root, schema)) {
    if (!isObject(branch)) return undefined;
    if (Object.hasOwn(branch, "const")) values.push(branch.const);
    else if (Array.isArray(branch.enum)) values.push(...branch.enum);
    else return undefined;
  }
  return values;
}

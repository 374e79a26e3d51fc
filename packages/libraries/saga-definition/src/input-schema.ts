// The one way input schemas are compiled: by `saga validate` (through the definition loader) and by
// the orchestrator when it checks a start request. Same Ajv class, same options, same formats, so
// a schema that passes validation always compiles at start-up.
//
// Draft: JSON Schema draft-07 by default (what the docs and the editors' schema use). An input
// schema may name another draft in its own `$schema`: draft 2019-09 and 2020-12 are honoured too.
// Ajv is used rather than hand-written checks because it is what validates the inputs at run time:
// checking the schema with anything else would let the two disagree again.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { DiagnosticCode, formatJsonPath, type JsonPath, sagaDefinitionError } from "./errors.ts";

/** The draft an input schema without `$schema` is read as. */
export const DEFAULT_INPUT_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#";

/** `$schema` values an input schema may carry (with or without the trailing `#`). */
export const INPUT_SCHEMA_DRAFTS = {
  "http://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
} as const;
type Draft = (typeof INPUT_SCHEMA_DRAFTS)[keyof typeof INPUT_SCHEMA_DRAFTS];

/** The options every input-schema Ajv instance is created with. */
const AJV_OPTIONS: Options = {
  allErrors: true,
  // Unknown keywords are annotations in JSON Schema; a misspelt type or a bad pattern still fails.
  strict: false,
  // Never write warnings to the console: problems come back as located diagnostics.
  logger: false,
};

const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule;

function createAjv(draft: Draft): Ajv {
  const ajv =
    draft === "2020-12"
      ? new Ajv2020(AJV_OPTIONS)
      : draft === "2019-09"
        ? new Ajv2019(AJV_OPTIONS)
        : new Ajv(AJV_OPTIONS);
  (addFormats as unknown as (ajv: Ajv) => Ajv)(ajv);
  return ajv;
}

/** A problem in an input schema, with its path inside the definition (starting at "input"). */
export interface InputSchemaProblem {
  code: DiagnosticCode;
  path: JsonPath;
  message: string;
}

/** The result of compiling an input schema. */
export type InputSchemaResult =
  | { ok: true; draft: Draft; validate: ValidateFunction }
  | { ok: false; problems: InputSchemaProblem[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pointerToPath(pointer: string): JsonPath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** Every (path, key, value) in a schema, walked iteratively (no recursion on deep input). */
function* entries(schema: unknown): Generator<{ path: JsonPath; key: string; value: unknown }> {
  const stack: Array<{ path: JsonPath; value: unknown }> = [{ path: [], value: schema }];
  while (stack.length > 0) {
    const { path, value } = stack.pop() as { path: JsonPath; value: unknown };
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        stack.push({ path: [...path, index], value: item });
      });
    } else if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        yield { path: [...path, key], key, value: value[key] };
        stack.push({ path: [...path, key], value: value[key] });
      }
    }
  }
}

function draftOf(schema: Record<string, unknown>): Draft | undefined {
  const declared = schema.$schema;
  if (declared === undefined) return "draft-07";
  if (typeof declared !== "string") return undefined;
  const key = declared.replace(/#$/, "") as keyof typeof INPUT_SCHEMA_DRAFTS;
  return Object.hasOwn(INPUT_SCHEMA_DRAFTS, key) ? INPUT_SCHEMA_DRAFTS[key] : undefined;
}

function schemaErrorMessage(error: ErrorObject): string {
  const where = error.instancePath === "" ? "the input schema" : `"${error.instancePath}"`;
  return `Fix ${where}: ${error.message ?? "it is not valid JSON Schema"}${
    error.params && "allowedValues" in error.params
      ? ` (${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`
      : ""
  }.`;
}

/**
 * Checks and compiles a saga's input schema with the project's one Ajv configuration. Never throws:
 * every problem comes back with its path (relative to the definition, so it starts with "input").
 */
export function compileInputSchema(schema: unknown): InputSchemaResult {
  const base: JsonPath = ["input"];
  if (!isRecord(schema)) {
    return {
      ok: false,
      problems: [
        {
          code: DiagnosticCode.inputSchemaInvalid,
          path: base,
          message: "Write the input schema as a JSON Schema object.",
        },
      ],
    };
  }
  const draft = draftOf(schema);
  if (!draft) {
    return {
      ok: false,
      problems: [
        {
          code: DiagnosticCode.inputSchemaInvalid,
          path: [...base, "$schema"],
          message: `Remove "$schema" (draft-07 is the default) or set it to one of ${Object.keys(
            INPUT_SCHEMA_DRAFTS,
          )
            .map((uri) => `"${uri}"`)
            .join(", ")}.`,
        },
      ],
    };
  }
  const problems: InputSchemaProblem[] = [];
  // Ajv builds regular expressions with the "u" flag; check each pattern the same way so the
  // problem points at the pattern instead of at the whole schema.
  for (const { path, key, value } of entries(schema)) {
    const parentKey = path[path.length - 2];
    const isPatternKeyword =
      key === "pattern" && typeof value === "string" && parentKey !== "properties";
    const patterns = isPatternKeyword
      ? [{ at: path, source: value as string }]
      : key === "patternProperties" && isRecord(value) && parentKey !== "properties"
        ? Object.keys(value).map((source) => ({ at: [...path, source], source }))
        : [];
    for (const { at, source } of patterns) {
      try {
        new RegExp(source, "u");
      } catch (error) {
        problems.push({
          code: DiagnosticCode.inputSchemaInvalid,
          path: [...base, ...at],
          message: `Fix the regular expression ${JSON.stringify(source)}: ${(error as Error).message}.`,
        });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const ajv = createAjv(draft);
  if (!ajv.validateSchema(schema)) {
    // The meta-schema reports one mistake several times at one place ("must be equal to one of
    // the allowed values", "must be array", "must match a schema in anyOf"): keep the most
    // telling error per place.
    const byPlace = new Map<string, ErrorObject>();
    for (const error of ajv.errors ?? []) {
      const kept = byPlace.get(error.instancePath);
      if (!kept || (error.keyword === "enum" && kept.keyword !== "enum")) {
        byPlace.set(error.instancePath, error);
      }
    }
    for (const error of byPlace.values()) {
      problems.push({
        code: DiagnosticCode.inputSchemaInvalid,
        path: [...base, ...pointerToPath(error.instancePath)],
        message: schemaErrorMessage(error),
      });
    }
    return { ok: false, problems };
  }
  try {
    return { ok: true, draft, validate: ajv.compile(schema) };
  } catch (error) {
    const missingRef = (error as { missingRef?: unknown }).missingRef;
    let path: JsonPath = base;
    if (typeof missingRef === "string") {
      for (const entry of entries(schema)) {
        if (entry.key === "$ref" && typeof entry.value === "string") {
          if (missingRef.endsWith(entry.value) || entry.value.endsWith(missingRef)) {
            path = [...base, ...entry.path];
            break;
          }
        }
      }
    }
    const reason = (error as Error).message;
    return {
      ok: false,
      problems: [
        {
          code: DiagnosticCode.inputSchemaInvalid,
          path,
          message:
            typeof missingRef === "string"
              ? `Fix the reference: ${reason}; a "$ref" must point inside the input schema (e.g. "#/definitions/address").`
              : `Fix the input schema: ${reason}.`,
        },
      ],
    };
  }
}

/** Like `compileInputSchema`, for callers that have already validated: throws on a bad schema. */
export function compileInputSchemaOrThrow(schema: unknown, sagaName: string): ValidateFunction {
  const result = compileInputSchema(schema);
  if (result.ok) return result.validate;
  throw sagaDefinitionError(
    result.problems.map((problem) => ({
      ...problem,
      pointer: formatJsonPath(problem.path),
      message: `${sagaName}: ${problem.message}`,
    })),
  );
}

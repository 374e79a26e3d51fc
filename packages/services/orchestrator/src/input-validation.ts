// A saga's input is checked against its definition's input schema before the saga exists,
// whoever starts it: the API's start route and code that calls the runtime alike.
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import { compileInputSchemaOrThrow } from "@sagaworks/saga-definition/input-schema";
import { OrchestratorErrorCode, OrchestratorErrors } from "./errors.ts";

type InputValidator = ReturnType<typeof compileInputSchemaOrThrow>;

/** One JSON path of the input that does not match, and what is wrong there. */
export interface InputIssue {
  /** From `input`, e.g. `input/items/0/quantity`. */
  path: string;
  message: string;
}

// By definition hash: a hash names one compiled machine, so its validator is compiled once per
// process however many objects carry the definition.
const validators = new Map<string, InputValidator>();

function validatorOf(saga: CompiledSaga): InputValidator {
  let validate = validators.get(saga.hash);
  if (!validate) {
    validate = compileInputSchemaOrThrow(saga.input, saga.name);
    validators.set(saga.hash, validate);
  }
  return validate;
}

/** Where `input` does not match `saga`'s input schema; empty when it does. */
export function inputIssues(saga: CompiledSaga, input: JsonValue): InputIssue[] {
  const validate = validatorOf(saga);
  if (validate(input)) return [];
  return (validate.errors ?? []).map((e) => {
    // Ajv puts the name of an extra property in params only: "must NOT have additional
    // properties" alone does not say which one to remove.
    const extra =
      e.keyword === "additionalProperties"
        ? (e.params as { additionalProperty?: string }).additionalProperty
        : undefined;
    return extra === undefined
      ? { path: `input${e.instancePath}`, message: e.message ?? "" }
      : {
          path: `input${e.instancePath}/${extra}`,
          message: `is not allowed: ${e.instancePath === "" ? "the input" : `input${e.instancePath}`} has no property "${extra}"`,
        };
  });
}

/** Throws `SAGA_INPUT_INVALID` naming every JSON path of `input` that does not match. */
export function assertValidInput(saga: CompiledSaga, input: JsonValue): void {
  const issues = inputIssues(saga, input);
  if (issues.length === 0) return;
  throw OrchestratorErrors.create(
    OrchestratorErrorCode.inputInvalid,
    `The input does not match ${saga.name} v${saga.version}'s input schema: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
    issues,
  );
}

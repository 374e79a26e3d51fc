// The mapping context: what a mapping path can read ($.input, $.sagaId, $.steps.<step>.reply /
// .response, $.failure). Defined once here: its shape, the JSON Schema the validator checks
// `$.failure…` paths against, and the builder the engine evaluates mappings with, so the two can
// no longer disagree (they did on the failure kinds).
import type { CompiledStep } from "./compiled-saga.ts";
import type { JsonSchema } from "./contract-registry.ts";
import type { JsonValue } from "./mapping.ts";

/** The roots a mapping path may start with. */
export const MAPPING_CONTEXT_ROOTS = ["input", "sagaId", "steps", "failure"] as const;

/** Why compensation started, or why the saga stopped. */
export const FAILURE_KINDS = [
  "business-failure",
  "non-retryable",
  "exhausted",
  "deadline",
  "operator",
  /** The parent saga that started this one as a child is compensating, and asked it to. */
  "parent",
] as const;
/** One of `FAILURE_KINDS`. */
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** What `$.failure` holds in a compensation. */
export interface FailureInfo {
  step: string;
  kind: FailureKind;
  code: string;
  message: string;
}

/** JSON Schema of `$.failure`: what the validator checks `$.failure.<field>` paths against. */
export const FAILURE_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    step: { type: "string" },
    kind: { enum: [...FAILURE_KINDS] },
    code: { type: "string" },
    message: { type: "string" },
  },
  required: ["step", "kind", "code", "message"],
  additionalProperties: false,
};

/** JSON Schema of `$.sagaId`. */
export const SAGA_ID_SCHEMA: JsonSchema = { type: "string" };

/** JSON Schema of `$.steps.<http step>.response.status`. */
export const HTTP_STATUS_SCHEMA: JsonSchema = { type: "integer" };

/** The context a mapping is evaluated against. */
export interface MappingContext {
  input: JsonValue;
  sagaId: string;
  /**
   * Completed steps only: `{ reply }` for a command step, `{ response: { status, body } }` for
   * HTTP, `{ event }` (the event's payload) for an await step, `{ output }` (the child's declared
   * output) for a sub-saga step.
   */
  steps: Record<string, JsonValue>;
  failure: FailureInfo | null;
}

/** What the builder needs of a saga instance. */
export interface MappingContextSource {
  input: JsonValue;
  sagaId: string;
  steps: readonly CompiledStep[];
  /** Each step's output (reply payload, or `{ status, body }`), null when it has none yet. */
  outputOf(step: string): JsonValue | null;
  failure: FailureInfo | null;
}

/** Builds the mapping context of a saga instance. */
export function buildMappingContext(source: MappingContextSource): MappingContext {
  const steps: Array<[string, JsonValue]> = [];
  for (const step of source.steps) {
    const output = source.outputOf(step.name);
    if (output === null) continue;
    const kind = step.action.kind;
    steps.push([
      step.name,
      kind === "http"
        ? { response: output }
        : kind === "await"
          ? { event: output }
          : kind === "saga"
            ? { output }
            : { reply: output },
    ]);
  }
  return {
    input: source.input,
    sagaId: source.sagaId,
    // fromEntries: step names become own keys, whatever they are.
    steps: Object.fromEntries(steps),
    failure: source.failure ? { ...source.failure } : null,
  };
}

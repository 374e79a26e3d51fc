// What every check of the validator shares: the definition being analysed, what is known of it
// so far, and small helpers. The checks are plain functions over this context, grouped by concern
// (limits and pivot rules, contracts, data-flow paths).
import type { ContractRegistry, JsonSchema, ServiceContract } from "../contract-registry.ts";
import { NAME_PATTERN, type StepDefinition } from "../definition-schema.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import type { JsonType } from "../json-schema-walk.ts";
import type { SagaLookup } from "../sub-saga/saga-catalog.ts";
import type { Collector } from "./diagnostics.ts";

/** Default timeout of one attempt of a command step. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** Default timeout of one attempt of an HTTP step. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/** Default timeout of one attempt of a compensation. */
export const DEFAULT_COMPENSATION_TIMEOUT_MS = 30_000;

/** The state of one analysis, shared by the checks. */
/** Where a branch step sits: its group and branch, by name and position. */
export interface BranchPlace {
  group: string;
  branch: string;
  /** The group's index in `$.steps`. */
  groupIndex: number;
  branchIndex: number;
}

export interface AnalysisContext {
  readonly out: Collector;
  readonly raw: unknown;
  readonly contracts: ContractRegistry;
  /** The other sagas a sub-saga step may start; undefined when checked alone. */
  readonly sagas: SagaLookup | undefined;
  /** Each step parsed, or undefined when it has structural errors. */
  steps: Array<StepDefinition | undefined>;
  /** What is known of each step even when it has structural errors. */
  skeletons: Array<StepSkeleton | undefined>;
  readonly stepIndexByName: Map<string, number>;
  /** Where each step (by its index in the flattened list) was written: `$.steps[i]` or inside a branch. */
  stepPaths: JsonPath[];
  /** The group and branch of each step, or undefined for a step outside any group. */
  places: Array<BranchPlace | undefined>;
  inputSchema: JsonSchema | undefined;
  sagaTimeoutMs: number | undefined;
}

/** A schema a mapping path reads from. */
export type Source = { root: JsonSchema; schema: unknown };

/** Where a mapping value sits. */
export interface MappingScope {
  stepIndex: number;
  inCompensation: boolean;
  /** Label of what receives the value, for messages: `payload of CreateOrder`. */
  target: string;
  /**
   * Set for paths in a condition: the condition checks guard steps that may not have run
   * themselves (with `stepRan`, `exists` or `ifMissing`), so the path check leaves them alone.
   */
  inCondition?: boolean;
}

/** An object schema with no fields. */
export const NO_FIELDS: JsonSchema = {
  type: "object",
  properties: {},
  additionalProperties: false,
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function list(values: Iterable<string>): string {
  const all = [...values];
  return all.length === 0 ? "(none)" : all.map((value) => `"${value}"`).join(", ");
}

/**
 * The contract of service `name`, or undefined once reported unknown at `at`. `declare` is what
 * the message asks to add to the contracts when the service is meant to exist.
 */
export function knownService(
  ctx: AnalysisContext,
  name: string,
  at: JsonPath,
  declare = `"${name}"`,
): ServiceContract | undefined {
  const service = Object.hasOwn(ctx.contracts, name) ? ctx.contracts[name] : undefined;
  if (!service) {
    ctx.out.add(
      DiagnosticCode.serviceUnknown,
      at,
      `Use a service declared in the contracts (${list(Object.keys(ctx.contracts))}) or declare ${declare} in @sagaworks/contracts.`,
    );
  }
  return service;
}

/**
 * Walks a step's success and business-failure lists: hands each entry that is not `declared` to
 * `unknown`, reports each declared one listed a second time, and returns the names listed. `noun`
 * is what the entries are (an event, an outcome), for that report.
 */
export function classifyOutcomes(
  ctx: AnalysisContext,
  success: ReadonlyArray<string | number>,
  failure: ReadonlyArray<string | number>,
  declared: readonly string[],
  stepPath: JsonPath,
  noun: "event" | "outcome",
  unknown: (name: string, at: JsonPath) => void,
): Set<string> {
  const seen = new Set<string>();
  const lists = [
    ["success", success],
    ["businessFailure", failure],
  ] as const;
  for (const [listName, entries] of lists) {
    entries.forEach((entry, position) => {
      const name = String(entry);
      const at = [...stepPath, "outcomes", listName, position];
      if (!declared.includes(name)) {
        unknown(name, at);
      } else if (seen.has(name)) {
        ctx.out.add(
          DiagnosticCode.outcomeClassifiedTwice,
          at,
          `List "${name}" once: an ${noun} is either a success or a business failure.`,
        );
      }
      seen.add(name);
    });
  }
  return seen;
}

export function describeTypes(types: Set<JsonType>): string {
  return [...types].join(" | ");
}

/** What the pivot and name rules need of a step, valid even when the rest of the step is not. */
export interface StepSkeleton {
  name: string | undefined;
  pivot: boolean;
  readOnly: boolean;
  compensation: boolean;
  /** Has a `when`: the step may not run. */
  conditional: boolean;
}

export function skeletonOf(
  parsed: StepDefinition | undefined,
  raw: unknown,
): StepSkeleton | undefined {
  if (parsed) {
    return {
      name: parsed.name,
      pivot: parsed.pivot === true,
      // A wait changes nothing: it needs no compensation before the pivot.
      readOnly: parsed.kind === "await" || (parsed.kind !== "saga" && parsed.readOnly === true),
      compensation: parsed.kind !== "await" && parsed.compensation !== undefined,
      conditional: parsed.when !== undefined || (isRecord(raw) && Object.hasOwn(raw, "when")),
    };
  }
  if (!isRecord(raw)) return undefined;
  const name =
    typeof raw.name === "string" && NAME_PATTERN.test(raw.name) && raw.name.length <= 64
      ? raw.name
      : undefined;
  return {
    name,
    pivot: raw.pivot === true,
    readOnly: raw.readOnly === true || raw.kind === "await",
    compensation: Object.hasOwn(raw, "compensation"),
    conditional: Object.hasOwn(raw, "when"),
  };
}

export type { JsonType };

/** The JSON path a step (by its index in the flattened list) was written at. */
export function stepPath(ctx: AnalysisContext, index: number): JsonPath {
  return ctx.stepPaths[index] ?? ["steps", index];
}

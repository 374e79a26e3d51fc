// Structural and semantic validation of a definition. Every problem is collected (never thrown),
// so an author sees all of them at once. Structure is checked with zod per part (header, then each
// step on its own), so one broken step does not hide the semantic problems of the others.
import type { z } from "zod";
import { AWS_LIMITS, ENGINE_LIMITS } from "./aws-limits.ts";
import {
  type ContractRegistry,
  contractJsonSchema,
  type HttpEndpointContract,
  type JsonSchema,
  type ServiceContract,
} from "./contract-registry.ts";
import {
  type CommandStepDefinition,
  definitionHeaderSchema,
  type HttpStepDefinition,
  MAX_STEPS,
  MESSAGE_NAME_PATTERN,
  NAME_PATTERN,
  type RetryPolicyDefinition,
  type StepDefinition,
  stepSchema,
} from "./definition-schema.ts";
import { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.ts";
import { type Diagnostic, DiagnosticCode, formatJsonPath, type JsonPath } from "./errors.ts";
import {
  allowedValues,
  arrayItems,
  type JsonType,
  literalType,
  lookupPath,
  objectShape,
  schemaTypes,
  typesCompatible,
} from "./json-schema-walk.ts";
import { literalByteSize, parseMappingString } from "./mapping.ts";
import {
  FAILURE_SCHEMA,
  HTTP_STATUS_SCHEMA,
  MAPPING_CONTEXT_ROOTS,
  SAGA_ID_SCHEMA,
} from "./mapping-context.ts";
import { guardValue } from "./value-guard.ts";

/** Default timeout of one attempt of a command step. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** Default timeout of one attempt of an HTTP step. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/** Default timeout of one attempt of a compensation. */
export const DEFAULT_COMPENSATION_TIMEOUT_MS = 30_000;

/** The result of analysing a definition: its problems, and the parsed parts that were valid. */
export interface Analysis {
  diagnostics: Diagnostic[];
  header: z.infer<typeof definitionHeaderSchema> | undefined;
  steps: Array<StepDefinition | undefined>;
}

type Source = { root: JsonSchema; schema: unknown };

interface MappingScope {
  stepIndex: number;
  inCompensation: boolean;
  /** Label of what receives the value, for messages: `payload of CreateOrder`. */
  target: string;
}

const NO_FIELDS: JsonSchema = { type: "object", properties: {}, additionalProperties: false };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function list(values: Iterable<string>): string {
  const all = [...values];
  return all.length === 0 ? "(none)" : all.map((value) => `"${value}"`).join(", ");
}

function describeTypes(types: Set<JsonType>): string {
  return [...types].join(" | ");
}

class Collector {
  readonly diagnostics: Diagnostic[] = [];

  add(code: DiagnosticCode, path: JsonPath, message: string, details?: Record<string, unknown>) {
    const diagnostic: Diagnostic = {
      code,
      message,
      path: [...path],
      pointer: formatJsonPath(path),
    };
    if (details) diagnostic.details = details;
    this.diagnostics.push(diagnostic);
  }

  /** Turns zod issues (relative to `prefix`) into diagnostics with codes and fixes. */
  addZodIssues(issues: readonly z.core.$ZodIssue[], prefix: JsonPath) {
    for (const issue of issues) {
      const path = [...prefix, ...(issue.path as Array<string | number>)];
      this.addZodIssue(issue, path);
    }
  }

  private addZodIssue(issue: z.core.$ZodIssue, path: JsonPath) {
    const where = formatJsonPath(path);
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          this.add(
            DiagnosticCode.fieldUnknown,
            [...path, key],
            `Remove "${key}" from ${where}: the format has no such field (check its spelling against the JSON Schema).`,
          );
        }
        return;
      case "invalid_type":
        if (issue.input === undefined) {
          this.add(
            DiagnosticCode.fieldMissing,
            path,
            `Add the required field ${where} (expected ${issue.expected}).`,
          );
        } else {
          this.add(
            DiagnosticCode.fieldInvalid,
            path,
            `Change ${where} to a ${issue.expected}; it is ${literalType(issue.input)}.`,
          );
        }
        return;
      case "invalid_format":
        if (issue.format === "regex" && "pattern" in issue) {
          const pattern = String(issue.pattern);
          if (pattern === String(DURATION_PATTERN)) {
            this.add(
              DiagnosticCode.durationInvalid,
              path,
              `Write ${where} as a duration such as "250ms", "30s", "5m", "1h30m" or "7d" (units largest first).`,
            );
            return;
          }
          if (pattern === String(NAME_PATTERN)) {
            this.add(
              DiagnosticCode.nameInvalid,
              path,
              `Write ${where} in kebab-case: lower-case letters and digits separated by single hyphens, e.g. "create-order".`,
            );
            return;
          }
          if (pattern === String(MESSAGE_NAME_PATTERN)) {
            this.add(
              DiagnosticCode.nameInvalid,
              path,
              `Write ${where} in PascalCase as the contract declares it, e.g. "CreateOrder".`,
            );
            return;
          }
        }
        this.add(DiagnosticCode.fieldInvalid, path, `Fix ${where}: ${issue.message}.`);
        return;
      case "invalid_union":
        if ("discriminator" in issue && issue.discriminator === "kind") {
          this.add(
            DiagnosticCode.stepKindInvalid,
            path,
            `Set ${where} to "command" (a command over SQS) or "http" (a synchronous HTTP call).`,
          );
          return;
        }
        this.add(DiagnosticCode.fieldInvalid, path, `Fix ${where}: ${issue.message}.`);
        return;
      case "invalid_value":
        if (path[path.length - 1] === "type" && path.length === 2 && path[0] === "input") {
          this.add(
            DiagnosticCode.inputSchemaInvalid,
            path,
            'The input schema must describe an object: set "input.type" to "object" and list its fields in "input.properties".',
          );
          return;
        }
        this.add(
          DiagnosticCode.fieldInvalid,
          path,
          `Change ${where} to one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}.`,
        );
        return;
      default:
        this.add(DiagnosticCode.fieldInvalid, path, `Fix ${where}: ${issue.message}.`);
    }
  }
}

/** Validates a definition against the format, the pivot rules, AWS limits and the contracts. */
export function analyseDefinition(raw: unknown, contracts: ContractRegistry): Analysis {
  return new DefinitionAnalyser(raw, contracts).run();
}

class DefinitionAnalyser {
  private readonly out = new Collector();
  private readonly raw: unknown;
  private readonly contracts: ContractRegistry;
  private steps: Array<StepDefinition | undefined> = [];
  private skeletons: Array<StepSkeleton | undefined> = [];
  private readonly stepIndexByName = new Map<string, number>();
  private inputSchema: JsonSchema | undefined;
  private sagaTimeoutMs: number | undefined;

  constructor(raw: unknown, contracts: ContractRegistry) {
    this.raw = raw;
    this.contracts = contracts;
  }

  run(): Analysis {
    // Depth and prototype keys first: later checks recurse and copy, so they only see sound data.
    const guarded = guardValue(this.raw);
    if (guarded.length > 0) return { diagnostics: guarded, header: undefined, steps: [] };
    const header = definitionHeaderSchema.safeParse(this.raw, { reportInput: true });
    if (!header.success) this.out.addZodIssues(header.error.issues, []);
    const rawSteps = isRecord(this.raw) && Array.isArray(this.raw.steps) ? this.raw.steps : [];
    if (isRecord(this.raw) && Array.isArray(this.raw.steps)) {
      if (rawSteps.length === 0) {
        this.out.add(DiagnosticCode.fieldInvalid, ["steps"], "Add at least one step to $.steps.");
      } else if (rawSteps.length > MAX_STEPS) {
        this.out.add(
          DiagnosticCode.fieldInvalid,
          ["steps"],
          `Split the saga: it has ${rawSteps.length} steps and at most ${MAX_STEPS} are allowed.`,
        );
      }
    }
    this.steps = rawSteps.map((rawStep, index) => {
      const parsed = stepSchema.safeParse(rawStep, { reportInput: true });
      if (!parsed.success) {
        this.out.addZodIssues(parsed.error.issues, ["steps", index]);
        return undefined;
      }
      return parsed.data;
    });
    // A step with structural errors is still known by what it validly declares (its name, pivot,
    // readOnly, whether it has a compensation), so references to it resolve and its other
    // problems are reported instead of a cascade of "there is no step" errors.
    this.skeletons = rawSteps.map((rawStep, index) => skeletonOf(this.steps[index], rawStep));

    // Salvage the header fields that are valid on their own, so their checks still run.
    if (isRecord(this.raw)) {
      const input = definitionHeaderSchema.shape.input.safeParse(this.raw.input);
      if (input.success) this.inputSchema = input.data as JsonSchema;
      if (typeof this.raw.timeout === "string")
        this.sagaTimeoutMs = parseDuration(this.raw.timeout);
    }

    this.checkSagaTimeout();
    this.checkStepNames();
    this.checkPivotRules();
    this.steps.forEach((step, index) => {
      if (step) this.checkStep(step, index);
      else this.checkBrokenStepPaths(rawSteps[index], index);
    });
    return {
      diagnostics: this.out.diagnostics,
      header: header.success ? header.data : undefined,
      steps: this.steps,
    };
  }

  private checkSagaTimeout() {
    const ms = this.sagaTimeoutMs;
    if (ms === undefined) return;
    if (ms < ENGINE_LIMITS.minTimeoutMs) {
      this.out.add(
        DiagnosticCode.timeoutTooShort,
        ["timeout"],
        `Raise the saga timeout to at least ${formatDuration(ENGINE_LIMITS.minTimeoutMs)}: timers are polled about once a second.`,
      );
    } else if (ms > ENGINE_LIMITS.maxSagaTimeoutMs) {
      this.out.add(
        DiagnosticCode.timeoutTooLong,
        ["timeout"],
        `Lower the saga timeout to at most ${formatDuration(ENGINE_LIMITS.maxSagaTimeoutMs)}; model longer processes as several sagas.`,
      );
    }
  }

  private checkStepNames() {
    this.skeletons.forEach((step, index) => {
      if (!step?.name) return;
      const first = this.stepIndexByName.get(step.name);
      if (first === undefined) {
        this.stepIndexByName.set(step.name, index);
        return;
      }
      this.out.add(
        DiagnosticCode.stepNameDuplicate,
        ["steps", index, "name"],
        `Rename this step: "${step.name}" is already the name of step ${first} ($.steps[${first}]); step names must be unique.`,
        { firstIndex: first },
      );
    });
  }

  private checkPivotRules() {
    const pivots = this.skeletons.flatMap((step, index) => (step?.pivot === true ? [index] : []));
    const pivotIndex = pivots[0] ?? -1;
    for (const extra of pivots.slice(1)) {
      this.out.add(
        DiagnosticCode.pivotMultiple,
        ["steps", extra, "pivot"],
        `Remove "pivot" here: step ${pivotIndex} ("${this.skeletons[pivotIndex]?.name}") is already the pivot and a saga has at most one.`,
        { pivot: pivotIndex },
      );
    }
    const pivotName = pivotIndex >= 0 ? this.skeletons[pivotIndex]?.name : undefined;
    const lastIndex = this.skeletons.length - 1;
    this.skeletons.forEach((step, index) => {
      if (!step) return;
      const label = step.name ?? `#${index}`;
      if (step.readOnly === true && step.compensation) {
        this.out.add(
          DiagnosticCode.readOnlyWithCompensation,
          ["steps", index, "compensation"],
          `Step "${label}" is declared read-only, so it has nothing to undo: remove "compensation" or remove "readOnly".`,
        );
      }
      const beforePivot = pivotIndex >= 0 ? index < pivotIndex : index < lastIndex;
      if (beforePivot && step.readOnly !== true && !step.compensation) {
        const why =
          pivotIndex >= 0
            ? `it runs before the pivot "${pivotName}", so it must be undone if a later step fails`
            : 'the saga has no pivot, so every step but the last must be undone if a later step fails (or mark the go/no-go step with "pivot": true)';
        this.out.add(
          DiagnosticCode.pivotCompensationMissing,
          ["steps", index],
          `Add a "compensation" (command and payload) to step "${label}" or declare "readOnly": true: ${why}.`,
        );
      }
      if (index === pivotIndex && step.compensation) {
        this.out.add(
          DiagnosticCode.pivotHasCompensation,
          ["steps", index, "compensation"],
          `Remove the compensation of the pivot "${label}": once the pivot succeeds the saga only goes forward, so it is never compensated.`,
        );
      }
      const parsed = this.steps[index];
      if (parsed && pivotIndex >= 0 && index > pivotIndex) {
        this.checkRetriableStep(parsed, index, pivotName);
      }
    });
  }

  private checkRetriableStep(step: StepDefinition, index: number, pivotName: string | undefined) {
    const after = `step "${step.name}" runs after the pivot "${pivotName}"`;
    if (step.compensation) {
      this.out.add(
        DiagnosticCode.retriableStepHasCompensation,
        ["steps", index, "compensation"],
        `Remove the compensation: ${after}, so it is retried until it succeeds and never compensated. Move the pivot later if it must be undoable.`,
      );
    }
    const failures = step.outcomes.businessFailure ?? [];
    if (failures.length > 0) {
      this.out.add(
        DiagnosticCode.retriableStepHasBusinessFailure,
        ["steps", index, "outcomes", "businessFailure"],
        `Remove the business failures: ${after} and must eventually succeed. Make the service accept the command, or move the pivot after this step.`,
        { businessFailure: failures },
      );
    }
    if (step.retry?.maxAttempts !== "unlimited") {
      this.out.add(
        DiagnosticCode.retriableStepRetryBounded,
        step.retry ? ["steps", index, "retry", "maxAttempts"] : ["steps", index],
        `Give step "${step.name}" a retry policy with "maxAttempts": "unlimited": ${after}, so it must be retried until it succeeds.`,
      );
    }
    if ((step.retry?.nonRetryable ?? []).length > 0) {
      this.out.add(
        DiagnosticCode.retriableStepNonRetryable,
        ["steps", index, "retry", "nonRetryable"],
        `Empty "nonRetryable": ${after}; a failure that is never retried would leave the saga unable to finish.`,
      );
    }
  }

  private checkStep(step: StepDefinition, index: number) {
    const path: JsonPath = ["steps", index];
    this.checkRetry(step.retry, [...path, "retry"]);
    const defaultTimeout =
      step.kind === "http" ? DEFAULT_HTTP_TIMEOUT_MS : DEFAULT_COMMAND_TIMEOUT_MS;
    const timeoutMs = step.timeout ? parseDuration(step.timeout) : defaultTimeout;
    this.checkStepTimeout(step.kind, timeoutMs, [...path, "timeout"], step.timeout !== undefined);
    if (step.compensation) {
      this.checkRetry(step.compensation.retry, [...path, "compensation", "retry"]);
      const compensationTimeout = step.compensation.timeout
        ? parseDuration(step.compensation.timeout)
        : DEFAULT_COMPENSATION_TIMEOUT_MS;
      this.checkStepTimeout(
        "command",
        compensationTimeout,
        [...path, "compensation", "timeout"],
        step.compensation.timeout !== undefined,
      );
      this.checkPayloadSize(step.compensation.payload, [...path, "compensation", "payload"]);
    }
    const service = this.contracts[step.service];
    if (!service || !Object.hasOwn(this.contracts, step.service)) {
      this.out.add(
        DiagnosticCode.serviceUnknown,
        [...path, "service"],
        `Use a service declared in the contracts (${list(Object.keys(this.contracts))}) or declare "${step.service}" in @sagaworks/contracts.`,
      );
      this.checkMappingPathsOnly(step, index);
      return;
    }
    if (step.kind === "command") this.checkCommandStep(step, index, service);
    else this.checkHttpStep(step, index, service);
    if (step.compensation) this.checkCompensation(step, index, service);
  }

  private checkStepTimeout(
    kind: "command" | "http",
    timeoutMs: number | undefined,
    path: JsonPath,
    explicit: boolean,
  ) {
    if (timeoutMs === undefined) return;
    if (timeoutMs < ENGINE_LIMITS.minTimeoutMs) {
      this.out.add(
        DiagnosticCode.timeoutTooShort,
        path,
        `Raise this timeout to at least ${formatDuration(ENGINE_LIMITS.minTimeoutMs)}: timers are polled about once a second.`,
      );
    }
    if (kind === "command" && timeoutMs > AWS_LIMITS.sqsMaxRetentionMs) {
      this.out.add(
        DiagnosticCode.stepTimeoutExceedsSqsRetention,
        path,
        `Lower this timeout to at most ${formatDuration(AWS_LIMITS.sqsMaxRetentionMs)}: SQS keeps a message at most 14 days, so a command waiting longer may be deleted unread.`,
        { limitMs: AWS_LIMITS.sqsMaxRetentionMs },
      );
    }
    if (kind === "http" && timeoutMs > ENGINE_LIMITS.maxHttpTimeoutMs) {
      this.out.add(
        DiagnosticCode.httpTimeoutTooLong,
        path,
        `Lower this timeout to at most ${formatDuration(ENGINE_LIMITS.maxHttpTimeoutMs)}: an HTTP call holds an orchestrator worker; use a command step for long work.`,
      );
    }
    if (explicit && this.sagaTimeoutMs !== undefined && timeoutMs > this.sagaTimeoutMs) {
      this.out.add(
        DiagnosticCode.stepTimeoutExceedsSagaTimeout,
        path,
        `Lower this timeout below the saga timeout (${formatDuration(this.sagaTimeoutMs)}) or raise the saga timeout: the saga would time out first.`,
      );
    }
  }

  private checkRetry(retry: RetryPolicyDefinition | undefined, path: JsonPath) {
    if (!retry) return;
    const initial = retry.initialDelay ? parseDuration(retry.initialDelay) : 1_000;
    const max = retry.maxDelay ? parseDuration(retry.maxDelay) : 300_000;
    if (initial !== undefined && initial < ENGINE_LIMITS.minRetryDelayMs) {
      this.out.add(
        DiagnosticCode.retryDelayTooShort,
        [...path, "initialDelay"],
        `Raise "initialDelay" to at least ${formatDuration(ENGINE_LIMITS.minRetryDelayMs)} so retries do not hammer a failing service.`,
      );
    }
    if (initial !== undefined && max !== undefined && initial > max) {
      this.out.add(
        DiagnosticCode.retryDelayOrder,
        [...path, retry.initialDelay ? "initialDelay" : "maxDelay"],
        `Make "initialDelay" (${formatDuration(initial)}) at most "maxDelay" (${formatDuration(max)}). Delays above 15 min are fine: retry timers live in Postgres, not in SQS delays.`,
      );
    }
  }

  private checkPayloadSize(payload: unknown, path: JsonPath) {
    const bytes = literalByteSize(payload) + AWS_LIMITS.envelopeReserveBytes;
    if (bytes > AWS_LIMITS.sqsMessageBytes) {
      this.out.add(
        DiagnosticCode.payloadExceedsSqsLimit,
        path,
        `Shrink this payload: its literal values plus the envelope take ${bytes} bytes and an SQS message holds at most ${AWS_LIMITS.sqsMessageBytes} (1 MiB). Store large data elsewhere and pass a reference.`,
        { bytes, limit: AWS_LIMITS.sqsMessageBytes },
      );
    } else if (bytes > AWS_LIMITS.snsMessageBytes) {
      this.out.add(
        DiagnosticCode.payloadExceedsSnsLimit,
        path,
        `Shrink this payload: its literal values plus the envelope take ${bytes} bytes, and lifecycle events that echo it go through SNS, which holds at most ${AWS_LIMITS.snsMessageBytes} bytes (256 KB).`,
        { bytes, limit: AWS_LIMITS.snsMessageBytes },
      );
    }
  }

  private checkCommandStep(step: CommandStepDefinition, index: number, service: ServiceContract) {
    const path: JsonPath = ["steps", index];
    this.checkPayloadSize(step.payload, [...path, "payload"]);
    const commands = service.commands ?? {};
    if (Object.keys(commands).length === 0) {
      this.out.add(
        DiagnosticCode.serviceTransportUnsupported,
        [...path, "kind"],
        `Service "${step.service}" takes no commands over SQS: use "kind": "http" with one of its endpoints.`,
      );
      this.checkMappingPathsOnly(step, index);
      return;
    }
    const command = Object.hasOwn(commands, step.command) ? commands[step.command] : undefined;
    if (!command) {
      this.out.add(
        DiagnosticCode.commandUnknown,
        [...path, "command"],
        `Use a command that service "${step.service}" declares (${list(Object.keys(commands))}), or declare "${step.command}" in its contract.`,
      );
      this.checkMappingPathsOnly(step, index);
      return;
    }
    const payloadRoot = contractJsonSchema(command.payload, "input");
    this.checkValue(step.payload, payloadRoot, payloadRoot, [...path, "payload"], {
      stepIndex: index,
      inCompensation: false,
      target: `the payload of ${step.command}`,
    });
    const declared = Object.keys(command.replies);
    this.checkOutcomes(
      step.outcomes.success,
      step.outcomes.businessFailure ?? [],
      declared,
      path,
      (name) =>
        `Use a reply that ${step.command} declares (${list(declared)}), or declare "${name}" in the contract.`,
      DiagnosticCode.replyUnknown,
    );
    for (const [position, failure] of (step.retry?.nonRetryable ?? []).entries()) {
      if (!(command.errors ?? []).includes(failure)) {
        this.out.add(
          DiagnosticCode.retryFailureUnknown,
          [...path, "retry", "nonRetryable", position],
          `Use an error code that ${step.command} declares (${list(command.errors ?? [])}), or declare "${failure}" in the contract.`,
        );
      }
    }
  }

  private checkOutcomes(
    success: ReadonlyArray<string | number>,
    failure: ReadonlyArray<string | number>,
    declared: readonly string[],
    stepPath: JsonPath,
    unknownMessage: (name: string) => string,
    unknownCode: DiagnosticCode,
  ) {
    const seen = new Set<string>();
    const lists = [
      ["success", success],
      ["businessFailure", failure],
    ] as const;
    for (const [listName, entries] of lists) {
      entries.forEach((entry, position) => {
        const name = String(entry);
        const entryPath = [...stepPath, "outcomes", listName, position];
        if (!declared.includes(name)) {
          this.out.add(unknownCode, entryPath, unknownMessage(name));
        } else if (seen.has(name)) {
          this.out.add(
            DiagnosticCode.outcomeClassifiedTwice,
            entryPath,
            `List "${name}" once: an outcome is either a success or a business failure.`,
          );
        }
        seen.add(name);
      });
    }
    const unclassified = declared.filter((name) => !seen.has(name));
    if (unclassified.length > 0) {
      this.out.add(
        DiagnosticCode.outcomeUnclassified,
        [...stepPath, "outcomes"],
        `Classify ${list(unclassified)} as "success" or "businessFailure": the contract declares them, and the engine must know what each means.`,
        { unclassified },
      );
    }
  }

  private checkHttpStep(step: HttpStepDefinition, index: number, service: ServiceContract) {
    const path: JsonPath = ["steps", index];
    const endpoints = service.endpoints ?? [];
    if (endpoints.length === 0) {
      this.out.add(
        DiagnosticCode.serviceTransportUnsupported,
        [...path, "kind"],
        `Service "${step.service}" serves no HTTP endpoints: use "kind": "command" with one of its commands.`,
      );
      this.checkMappingPathsOnly(step, index);
      return;
    }
    const endpoint = endpoints.find(
      (candidate) =>
        candidate.method === step.request.method && candidate.path === step.request.path,
    );
    if (!endpoint) {
      this.out.add(
        DiagnosticCode.httpEndpointUnknown,
        [...path, "request", "path"],
        `Use an endpoint that service "${step.service}" declares (${list(endpoints.map((e) => `${e.method} ${e.path}`))}).`,
      );
      this.checkMappingPathsOnly(step, index);
      return;
    }
    const scope = (target: string): MappingScope => ({
      stepIndex: index,
      inCompensation: false,
      target: `${target} of ${endpoint.method} ${endpoint.path}`,
    });
    const paramsRoot = endpoint.params
      ? contractJsonSchema(endpoint.params, "input")
      : pathParamsSchema(endpoint);
    this.checkValue(
      step.request.params ?? {},
      paramsRoot,
      paramsRoot,
      [...path, "request", "params"],
      scope("the path parameters"),
    );
    if (step.request.query !== undefined || endpoint.query) {
      const root = endpoint.query ? contractJsonSchema(endpoint.query, "input") : NO_FIELDS;
      this.checkValue(
        step.request.query ?? {},
        root,
        root,
        [...path, "request", "query"],
        scope("the query"),
      );
    }
    if (step.request.body !== undefined || endpoint.body) {
      const root = endpoint.body ? contractJsonSchema(endpoint.body, "input") : NO_FIELDS;
      this.checkValue(
        step.request.body ?? {},
        root,
        root,
        [...path, "request", "body"],
        scope("the body"),
      );
    }
    const declared = Object.keys(endpoint.responses);
    this.checkOutcomes(
      step.outcomes.success,
      step.outcomes.businessFailure ?? [],
      declared,
      path,
      (status) =>
        `Use a status that ${endpoint.method} ${endpoint.path} declares (${list(declared)}), or declare ${status} in the contract.`,
      DiagnosticCode.httpStatusUnknown,
    );
    for (const [position, failure] of (step.retry?.nonRetryable ?? []).entries()) {
      if (!/^[1-5]\d\d$/.test(failure)) {
        this.out.add(
          DiagnosticCode.retryFailureUnknown,
          [...path, "retry", "nonRetryable", position],
          `Write HTTP status codes here, such as "400" or "422"; "${failure}" is not one.`,
        );
      }
    }
  }

  private checkCompensation(step: StepDefinition, index: number, service: ServiceContract) {
    const compensation = step.compensation;
    if (!compensation) return;
    const path: JsonPath = ["steps", index, "compensation"];
    const commands = service.commands ?? {};
    const command = Object.hasOwn(commands, compensation.command)
      ? commands[compensation.command]
      : undefined;
    if (!command) {
      this.out.add(
        DiagnosticCode.commandUnknown,
        [...path, "command"],
        Object.keys(commands).length === 0
          ? `Service "${step.service}" takes no commands, so it cannot run a compensation: declare a compensating command in its contract, or make the step read-only.`
          : `Use a command that service "${step.service}" declares (${list(Object.keys(commands))}), or declare "${compensation.command}" in its contract.`,
      );
      this.checkPathsIn(compensation.payload, [...path, "payload"], index, true);
      return;
    }
    if (Object.keys(command.replies).length === 0) {
      this.out.add(
        DiagnosticCode.compensationRepliesMissing,
        [...path, "command"],
        `Declare the replies of ${compensation.command} in its contract: a compensation is done only when its service answers with one of them.`,
      );
    }
    const root = contractJsonSchema(command.payload, "input");
    this.checkValue(compensation.payload, root, root, [...path, "payload"], {
      stepIndex: index,
      inCompensation: true,
      target: `the payload of ${compensation.command}`,
    });
  }

  /** A step that failed the structure check: still check the paths of its mappings. */
  private checkBrokenStepPaths(raw: unknown, index: number) {
    if (!isRecord(raw)) return;
    const base: JsonPath = ["steps", index];
    if (isRecord(raw.payload)) this.checkPathsIn(raw.payload, [...base, "payload"], index, false);
    if (isRecord(raw.request)) {
      for (const part of ["params", "query", "body"] as const) {
        const value = raw.request[part];
        if (isRecord(value)) this.checkPathsIn(value, [...base, "request", part], index, false);
      }
    }
    if (isRecord(raw.compensation) && isRecord(raw.compensation.payload)) {
      this.checkPathsIn(
        raw.compensation.payload,
        [...base, "compensation", "payload"],
        index,
        true,
      );
    }
  }

  /** When the target schema is unknown (unknown service or command), still check the paths. */
  private checkMappingPathsOnly(step: StepDefinition, index: number) {
    const base: JsonPath = ["steps", index];
    if (step.kind === "command")
      this.checkPathsIn(step.payload, [...base, "payload"], index, false);
    else {
      for (const part of ["params", "query", "body"] as const) {
        const value = step.request[part];
        if (value !== undefined) this.checkPathsIn(value, [...base, "request", part], index, false);
      }
    }
  }

  private checkPathsIn(value: unknown, path: JsonPath, stepIndex: number, inCompensation: boolean) {
    this.checkValue(value, true, undefined, path, { stepIndex, inCompensation, target: "" });
  }

  /** Checks one mapping value against the schema that receives it (`target`, in `root`). */
  private checkValue(
    value: unknown,
    root: JsonSchema,
    target: unknown,
    path: JsonPath,
    scope: MappingScope,
  ) {
    const targetTypes = target === undefined ? undefined : schemaTypes(root, target);
    if (typeof value === "string") {
      const parsed = parseMappingString(value);
      if (parsed.kind === "unescaped") {
        this.out.add(
          DiagnosticCode.literalEscape,
          path,
          `"${value}" starts with "$" but is not a path: write "$.…" for a path (e.g. "$.input.id"), or "$${value}" for the literal text.`,
        );
        return;
      }
      if (parsed.kind === "invalid-path") {
        this.out.add(
          DiagnosticCode.pathSyntax,
          path,
          `Fix the path "${value}": ${parsed.reason}. Segments are ".name" or "[index]", e.g. "$.input.items[0].sku".`,
        );
        return;
      }
      if (parsed.kind === "path") {
        const sources = this.resolveContextPath(parsed.segments, value, path, scope);
        if (!sources || !targetTypes) return;
        const sourceTypes = new Set<JsonType>();
        for (const source of sources) {
          const types = schemaTypes(source.root, source.schema);
          if (!types) return;
          for (const type of types) sourceTypes.add(type);
        }
        if (!typesCompatible(sourceTypes, targetTypes)) {
          this.out.add(
            DiagnosticCode.payloadTypeMismatch,
            path,
            `"${value}" is ${describeTypes(sourceTypes)} but ${scope.target} expects ${describeTypes(targetTypes)} at ${formatJsonPath(path)}: map a value of the right type.`,
            { sourceTypes: [...sourceTypes], targetTypes: [...targetTypes] },
          );
        }
        return;
      }
      this.checkLiteral(parsed.value, root, target, targetTypes, path, scope);
      return;
    }
    if (Array.isArray(value)) {
      if (targetTypes && !targetTypes.has("array")) {
        this.mismatch("an array", targetTypes, path, scope);
        return;
      }
      const items = target === undefined ? undefined : arrayItems(root, target);
      value.forEach((item, position) => {
        this.checkValue(item, root, items, [...path, position], scope);
      });
      return;
    }
    if (isRecord(value)) {
      if (targetTypes && !targetTypes.has("object")) {
        this.mismatch("an object", targetTypes, path, scope);
        return;
      }
      const shape = target === undefined ? undefined : objectShape(root, target);
      if (shape) {
        for (const field of shape.required) {
          if (!Object.hasOwn(value, field)) {
            this.out.add(
              DiagnosticCode.payloadFieldMissing,
              path,
              `Add "${field}" to ${formatJsonPath(path)}: ${scope.target} requires it.`,
              { field },
            );
          }
        }
      }
      for (const [key, field] of Object.entries(value)) {
        const declared = shape && Object.hasOwn(shape.properties, key);
        if (shape && !declared && !shape.open) {
          this.out.add(
            DiagnosticCode.payloadFieldUnknown,
            [...path, key],
            `Remove "${key}": ${scope.target} has no such field (it declares ${list(Object.keys(shape.properties))}).`,
          );
          this.checkValue(field, root, undefined, [...path, key], scope);
          continue;
        }
        const fieldTarget = shape
          ? declared
            ? shape.properties[key]
            : undefined
          : target === undefined
            ? undefined
            : lookupSingle(root, target, key);
        this.checkValue(field, root, fieldTarget, [...path, key], scope);
      }
      return;
    }
    this.checkLiteral(value, root, target, targetTypes, path, scope);
  }

  private mismatch(what: string, targetTypes: Set<JsonType>, path: JsonPath, scope: MappingScope) {
    this.out.add(
      DiagnosticCode.payloadTypeMismatch,
      path,
      `This is ${what} but ${scope.target} expects ${describeTypes(targetTypes)} at ${formatJsonPath(path)}.`,
      { targetTypes: [...targetTypes] },
    );
  }

  private checkLiteral(
    value: unknown,
    root: JsonSchema,
    target: unknown,
    targetTypes: Set<JsonType> | undefined,
    path: JsonPath,
    scope: MappingScope,
  ) {
    if (!targetTypes || target === undefined) return;
    const type = literalType(value);
    if (!typesCompatible(new Set([type]), targetTypes)) {
      this.out.add(
        DiagnosticCode.payloadTypeMismatch,
        path,
        `The literal ${JSON.stringify(value)} is ${type} but ${scope.target} expects ${describeTypes(targetTypes)} at ${formatJsonPath(path)}.`,
        { sourceTypes: [type], targetTypes: [...targetTypes] },
      );
      return;
    }
    const allowed = allowedValues(root, target);
    if (allowed && !allowed.some((candidate) => candidate === value)) {
      this.out.add(
        DiagnosticCode.payloadTypeMismatch,
        path,
        `Use one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}: ${scope.target} does not accept ${JSON.stringify(value)} at ${formatJsonPath(path)}.`,
        { allowed },
      );
    }
  }

  /** Resolves a context path to the schemas it may read; reports and returns undefined if wrong. */
  private resolveContextPath(
    segments: ReadonlyArray<string | number>,
    text: string,
    path: JsonPath,
    scope: MappingScope,
  ): Source[] | undefined {
    const [root, ...rest] = segments;
    switch (root) {
      case "input": {
        if (!this.inputSchema) return undefined;
        return this.lookupIn(
          [{ root: this.inputSchema, schema: this.inputSchema }],
          rest,
          text,
          path,
          "$.input",
          "the saga's input schema",
        );
      }
      case "sagaId":
        return this.lookupIn(
          [{ root: true, schema: SAGA_ID_SCHEMA }],
          rest,
          text,
          path,
          "$.sagaId",
          "the saga id (a string)",
        );
      case "failure":
        if (!scope.inCompensation) {
          this.out.add(
            DiagnosticCode.pathFailureOutsideCompensation,
            path,
            `Use "${text}" only in a compensation payload: failure information exists only once compensation has started.`,
          );
          return undefined;
        }
        return this.lookupIn(
          [{ root: FAILURE_SCHEMA, schema: FAILURE_SCHEMA }],
          rest,
          text,
          path,
          "$.failure",
          "the failure information (step, kind, code, message)",
        );
      case "steps":
        return this.resolveStepPath(rest, text, path, scope);
      default:
        this.out.add(
          DiagnosticCode.pathRootUnknown,
          path,
          `Start the path "${text}" with ${MAPPING_CONTEXT_ROOTS.map((root) => (root === "steps" ? "$.steps.<step>" : `$.${root}`)).join(", ")}.`,
        );
        return undefined;
    }
  }

  private resolveStepPath(
    segments: ReadonlyArray<string | number>,
    text: string,
    path: JsonPath,
    scope: MappingScope,
  ): Source[] | undefined {
    const [stepName, accessor, ...rest] = segments;
    if (typeof stepName !== "string") {
      this.out.add(
        DiagnosticCode.pathSyntax,
        path,
        `Name a step in "${text}", e.g. "$.steps.create-order.reply.orderId".`,
      );
      return undefined;
    }
    const referenced = this.stepIndexByName.get(stepName);
    const here = this.steps[scope.stepIndex]?.name;
    if (referenced === undefined) {
      this.out.add(
        DiagnosticCode.pathStepUnknown,
        path,
        `There is no step "${stepName}" (steps: ${list(this.stepIndexByName.keys())}); fix the step name in "${text}".`,
      );
      return undefined;
    }
    const allowed = scope.inCompensation
      ? referenced <= scope.stepIndex
      : referenced < scope.stepIndex;
    if (!allowed) {
      this.out.add(
        DiagnosticCode.pathStepNotEarlier,
        path,
        `Step "${stepName}" runs ${referenced === scope.stepIndex ? "as" : "after"} step "${here}", so its result does not exist yet: reference only steps that run earlier.`,
        { referencedIndex: referenced, stepIndex: scope.stepIndex },
      );
      return undefined;
    }
    const step = this.steps[referenced];
    if (!step) return undefined;
    const expected = step.kind === "command" ? "reply" : "response";
    if (accessor !== expected) {
      const example =
        step.kind === "command"
          ? `$.steps.${stepName}.reply.<field>`
          : `$.steps.${stepName}.response.body.<field> or $.steps.${stepName}.response.status`;
      this.out.add(
        DiagnosticCode.pathStepAccessor,
        path,
        `Step "${stepName}" is a ${step.kind} step: read it as ${example}.`,
      );
      return undefined;
    }
    const service = Object.hasOwn(this.contracts, step.service)
      ? this.contracts[step.service]
      : undefined;
    if (step.kind === "command") {
      const command = service?.commands?.[step.command];
      if (!command) return undefined;
      const sources: Array<Source & { name: string }> = [];
      for (const reply of step.outcomes.success) {
        const schema = command.replies[reply];
        if (!schema) return undefined;
        const json = contractJsonSchema(schema, "output");
        sources.push({ name: reply, root: json, schema: json });
      }
      return this.lookupIn(
        sources,
        rest,
        text,
        path,
        `$.steps.${stepName}.reply`,
        `the success replies of "${stepName}"`,
      );
    }
    const endpoint = service?.endpoints?.find(
      (candidate) =>
        candidate.method === step.request.method && candidate.path === step.request.path,
    );
    if (!endpoint) return undefined;
    const [part, ...bodyPath] = rest;
    if (part === "status") {
      return this.lookupIn(
        [{ root: true, schema: HTTP_STATUS_SCHEMA }],
        bodyPath,
        text,
        path,
        `$.steps.${stepName}.response.status`,
        "the HTTP status (an integer)",
      );
    }
    if (part !== "body") {
      this.out.add(
        DiagnosticCode.pathStepAccessor,
        path,
        `Read the response of "${stepName}" as $.steps.${stepName}.response.body.<field> or $.steps.${stepName}.response.status.`,
      );
      return undefined;
    }
    const sources: Array<Source & { name: string }> = [];
    for (const status of step.outcomes.success) {
      const response = endpoint.responses[status];
      if (!response) return undefined;
      const json = contractJsonSchema(response.body, "output");
      sources.push({ name: String(status), root: json, schema: json });
    }
    return this.lookupIn(
      sources,
      bodyPath,
      text,
      path,
      `$.steps.${stepName}.response.body`,
      `the success responses of "${stepName}"`,
    );
  }

  /** Follows `segments` in every source; the path must exist in all of them. */
  private lookupIn(
    sources: ReadonlyArray<Source & { name?: string }>,
    segments: ReadonlyArray<string | number>,
    text: string,
    path: JsonPath,
    base: string,
    what: string,
  ): Source[] | undefined {
    const found: Source[] = [];
    for (const source of sources) {
      const result = lookupPath(source.root, source.schema, segments);
      if (!result.found) {
        const missing = segments[result.missingAt];
        const parent = `${base}${formatJsonPath(segments.slice(0, result.missingAt)).slice(1)}`;
        const inReply = source.name ? ` (reply "${source.name}")` : "";
        this.out.add(
          DiagnosticCode.pathNotInSchema,
          path,
          `"${text}" does not exist in ${what}${inReply}: ${parent} has no ${typeof missing === "number" ? `item [${missing}]` : `field "${missing}"`}. Fix the path or add the field to the schema.`,
          { missing, at: parent },
        );
        return undefined;
      }
      found.push({ root: source.root, schema: result.schema });
    }
    return found;
  }
}

/** What the pivot and name rules need of a step, valid even when the rest of the step is not. */
interface StepSkeleton {
  name: string | undefined;
  pivot: boolean;
  readOnly: boolean;
  compensation: boolean;
}

function skeletonOf(parsed: StepDefinition | undefined, raw: unknown): StepSkeleton | undefined {
  if (parsed) {
    return {
      name: parsed.name,
      pivot: parsed.pivot === true,
      readOnly: parsed.readOnly === true,
      compensation: parsed.compensation !== undefined,
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
    readOnly: raw.readOnly === true,
    compensation: Object.hasOwn(raw, "compensation"),
  };
}

function lookupSingle(root: JsonSchema, schema: unknown, key: string): unknown {
  const result = lookupPath(root, schema, [key]);
  return result.found ? result.schema : undefined;
}

/** One required string per `:name` in an endpoint path, when the contract gives no params schema. */
function pathParamsSchema(endpoint: HttpEndpointContract): JsonSchema {
  const names = [...endpoint.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(
    (m) => m[1] as string,
  );
  return {
    type: "object",
    properties: Object.fromEntries(names.map((name) => [name, { type: "string" }])),
    required: names,
    additionalProperties: false,
  };
}

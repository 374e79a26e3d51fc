// Checks of each step against the service contracts: services, commands, replies, endpoints,
// statuses, error codes, and the payloads each receives.
import {
  contractJsonSchema,
  type HttpEndpointContract,
  type JsonSchema,
  type ServiceContract,
} from "../contract-registry.ts";
import type {
  CommandStepDefinition,
  HttpStepDefinition,
  SagaStepDefinition,
  StepDefinition,
} from "../definition-schema.ts";
import { parseDuration } from "../duration.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import { checkAwaitStep } from "./await.ts";
import {
  type AnalysisContext,
  classifyOutcomes,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_COMPENSATION_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
  knownService,
  list,
  NO_FIELDS,
  stepPath as stepPathOf,
} from "./context.ts";
import { checkPayloadSize, checkRetry, checkStepTimeout } from "./limits.ts";
import { checkMappingPathsOnly, checkPathsIn, checkValue } from "./paths.ts";

export function checkStep(
  ctx: AnalysisContext,
  step: Exclude<StepDefinition, SagaStepDefinition>,
  index: number,
) {
  if (step.kind === "await") {
    checkAwaitStep(ctx, step, index);
    return;
  }

  const path: JsonPath = stepPathOf(ctx, index);
  checkRetry(ctx, step.retry, [...path, "retry"]);
  const defaultTimeout =
    step.kind === "http" ? DEFAULT_HTTP_TIMEOUT_MS : DEFAULT_COMMAND_TIMEOUT_MS;
  const timeoutMs = step.timeout ? parseDuration(step.timeout) : defaultTimeout;
  checkStepTimeout(ctx, step.kind, timeoutMs, [...path, "timeout"], step.timeout !== undefined);
  if (step.compensation) {
    checkRetry(ctx, step.compensation.retry, [...path, "compensation", "retry"]);
    const compensationTimeout = step.compensation.timeout
      ? parseDuration(step.compensation.timeout)
      : DEFAULT_COMPENSATION_TIMEOUT_MS;
    checkStepTimeout(
      ctx,
      "command",
      compensationTimeout,
      [...path, "compensation", "timeout"],
      step.compensation.timeout !== undefined,
    );
    checkPayloadSize(ctx, step.compensation.payload, [...path, "compensation", "payload"]);
  }
  const service = knownService(ctx, step.service, [...path, "service"]);
  if (!service) {
    checkMappingPathsOnly(ctx, step, index);
    return;
  }
  if (step.kind === "command") checkCommandStep(ctx, step, index, service);
  else checkHttpStep(ctx, step, index, service);
  if (step.compensation) checkCompensation(ctx, step, index, service);
}

export function checkCommandStep(
  ctx: AnalysisContext,
  step: CommandStepDefinition,
  index: number,
  service: ServiceContract,
) {
  const path: JsonPath = stepPathOf(ctx, index);
  checkPayloadSize(ctx, step.payload, [...path, "payload"]);
  const commands = service.commands ?? {};
  if (Object.keys(commands).length === 0) {
    ctx.out.add(
      DiagnosticCode.serviceTransportUnsupported,
      [...path, "kind"],
      `Service "${step.service}" takes no commands over SQS: use "kind": "http" with one of its endpoints.`,
    );
    checkMappingPathsOnly(ctx, step, index);
    return;
  }
  const command = Object.hasOwn(commands, step.command) ? commands[step.command] : undefined;
  if (!command) {
    ctx.out.add(
      DiagnosticCode.commandUnknown,
      [...path, "command"],
      `Use a command that service "${step.service}" declares (${list(Object.keys(commands))}), or declare "${step.command}" in its contract.`,
    );
    checkMappingPathsOnly(ctx, step, index);
    return;
  }
  const payloadRoot = contractJsonSchema(command.payload, "input");
  checkValue(ctx, step.payload, payloadRoot, payloadRoot, [...path, "payload"], {
    stepIndex: index,
    inCompensation: false,
    target: `the payload of ${step.command}`,
  });
  const declared = Object.keys(command.replies);
  checkOutcomes(
    ctx,
    step.outcomes,
    declared,
    path,
    (name) =>
      `Use a reply that ${step.command} declares (${list(declared)}), or declare "${name}" in the contract.`,
    DiagnosticCode.replyUnknown,
  );
  for (const [position, failure] of (step.retry?.nonRetryable ?? []).entries()) {
    if (!(command.errors ?? []).includes(failure)) {
      ctx.out.add(
        DiagnosticCode.retryFailureUnknown,
        [...path, "retry", "nonRetryable", position],
        `Use an error code that ${step.command} declares (${list(command.errors ?? [])}), or declare "${failure}" in the contract.`,
      );
    }
  }
}

export function checkOutcomes(
  ctx: AnalysisContext,
  outcomes: {
    success: ReadonlyArray<string | number>;
    businessFailure?: ReadonlyArray<string | number> | undefined;
  },
  declared: readonly string[],
  stepPath: JsonPath,
  unknownMessage: (name: string) => string,
  unknownCode: DiagnosticCode,
) {
  const seen = classifyOutcomes(
    ctx,
    outcomes.success,
    outcomes.businessFailure ?? [],
    declared,
    stepPath,
    "outcome",
    (name, at) => ctx.out.add(unknownCode, at, unknownMessage(name)),
  );
  const unclassified = declared.filter((name) => !seen.has(name));
  if (unclassified.length > 0) {
    ctx.out.add(
      DiagnosticCode.outcomeUnclassified,
      [...stepPath, "outcomes"],
      `Classify ${list(unclassified)} as "success" or "businessFailure": the contract declares them, and the engine must know what each means.`,
      { unclassified },
    );
  }
}

export function checkHttpStep(
  ctx: AnalysisContext,
  step: HttpStepDefinition,
  index: number,
  service: ServiceContract,
) {
  const path: JsonPath = stepPathOf(ctx, index);
  const endpoints = service.endpoints ?? [];
  if (endpoints.length === 0) {
    ctx.out.add(
      DiagnosticCode.serviceTransportUnsupported,
      [...path, "kind"],
      `Service "${step.service}" serves no HTTP endpoints: use "kind": "command" with one of its commands.`,
    );
    checkMappingPathsOnly(ctx, step, index);
    return;
  }
  const endpoint = endpoints.find(
    (candidate) => candidate.method === step.request.method && candidate.path === step.request.path,
  );
  if (!endpoint) {
    ctx.out.add(
      DiagnosticCode.httpEndpointUnknown,
      [...path, "request", "path"],
      `Use an endpoint that service "${step.service}" declares (${list(endpoints.map((e) => `${e.method} ${e.path}`))}).`,
    );
    checkMappingPathsOnly(ctx, step, index);
    return;
  }
  // Each part of the request is checked against the endpoint's schema for it, as a root.
  const checkPart = (
    part: "params" | "query" | "body",
    value: unknown,
    root: JsonSchema,
    what: string,
  ) =>
    checkValue(ctx, value, root, root, [...path, "request", part], {
      stepIndex: index,
      inCompensation: false,
      target: `${what} of ${endpoint.method} ${endpoint.path}`,
    });
  const paramsRoot = endpoint.params
    ? contractJsonSchema(endpoint.params, "input")
    : pathParamsSchema(endpoint);
  checkPart("params", step.request.params ?? {}, paramsRoot, "the path parameters");
  if (step.request.query !== undefined || endpoint.query) {
    const root = endpoint.query ? contractJsonSchema(endpoint.query, "input") : NO_FIELDS;
    checkPart("query", step.request.query ?? {}, root, "the query");
  }
  if (step.request.body !== undefined || endpoint.body) {
    const root = endpoint.body ? contractJsonSchema(endpoint.body, "input") : NO_FIELDS;
    checkPart("body", step.request.body ?? {}, root, "the body");
  }
  const declared = Object.keys(endpoint.responses);
  checkOutcomes(
    ctx,
    step.outcomes,
    declared,
    path,
    (status) =>
      `Use a status that ${endpoint.method} ${endpoint.path} declares (${list(declared)}), or declare ${status} in the contract.`,
    DiagnosticCode.httpStatusUnknown,
  );
  for (const [position, failure] of (step.retry?.nonRetryable ?? []).entries()) {
    if (!/^[1-5]\d\d$/.test(failure)) {
      ctx.out.add(
        DiagnosticCode.retryFailureUnknown,
        [...path, "retry", "nonRetryable", position],
        `Write HTTP status codes here, such as "400" or "422"; "${failure}" is not one.`,
      );
    }
  }
}

export function checkCompensation(
  ctx: AnalysisContext,
  step: CommandStepDefinition | HttpStepDefinition,
  index: number,
  service: ServiceContract,
) {
  if (!step.compensation) return;
  checkCompensationCommand(ctx, step.service, step.compensation, index, service);
}

/** The compensating command exists at `serviceName`, declares replies, and its payload fits. */
export function checkCompensationCommand(
  ctx: AnalysisContext,
  serviceName: string,
  compensation: { command: string; payload: Record<string, unknown> },
  index: number,
  service: ServiceContract,
) {
  const step = { service: serviceName };
  const path: JsonPath = [...stepPathOf(ctx, index), "compensation"];
  const commands = service.commands ?? {};
  const command = Object.hasOwn(commands, compensation.command)
    ? commands[compensation.command]
    : undefined;
  if (!command) {
    ctx.out.add(
      DiagnosticCode.commandUnknown,
      [...path, "command"],
      Object.keys(commands).length === 0
        ? `Service "${step.service}" takes no commands, so it cannot run a compensation: declare a compensating command in its contract, or make the step read-only.`
        : `Use a command that service "${step.service}" declares (${list(Object.keys(commands))}), or declare "${compensation.command}" in its contract.`,
    );
    checkPathsIn(ctx, compensation.payload, [...path, "payload"], index, true);
    return;
  }
  if (Object.keys(command.replies).length === 0) {
    ctx.out.add(
      DiagnosticCode.compensationRepliesMissing,
      [...path, "command"],
      `Declare the replies of ${compensation.command} in its contract: a compensation is done only when its service answers with one of them.`,
    );
  }
  const root = contractJsonSchema(command.payload, "input");
  checkValue(ctx, compensation.payload, root, root, [...path, "payload"], {
    stepIndex: index,
    inCompensation: true,
    target: `the payload of ${compensation.command}`,
  });
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

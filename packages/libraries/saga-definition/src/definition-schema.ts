// The authoring format of a saga definition (`saga-definitions/*.saga.json`), as zod schemas.
//
// These are the *input* types: optional fields stay optional here. The compiler applies defaults
// and produces `CompiledSaga` (see compiled-saga.ts), the way the Temporal SDK separates user
// options from compiled options. The JSON Schema that editors use is generated from these schemas
// (`sagaDefinitionJsonSchema`), so the format is described exactly once.
import type { HttpMethod } from "@sagaworks/contracts";
import { z } from "zod";
import { DURATION_PATTERN } from "./duration.ts";

/** kebab-case names for sagas, steps and services: they end up in queue names and attributes. */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** PascalCase names for commands and replies, as the contracts declare them. */
export const MESSAGE_NAME_PATTERN = /^[A-Z][A-Za-z0-9]*$/;

const name = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN)
    .max(64)
    .meta({ description: `${what}: kebab-case, at most 64 characters.` });

const duration = (what: string) =>
  z
    .string()
    .regex(DURATION_PATTERN)
    .meta({
      description: `${what}. A duration such as "250ms", "30s", "5m", "1h30m" or "7d".`,
      examples: ["30s", "5m"],
    });

const messageName = (what: string) =>
  z
    .string()
    .regex(MESSAGE_NAME_PATTERN)
    .meta({ description: `${what} (PascalCase).` });

const mapping = (what: string) =>
  z.record(z.string(), z.json()).meta({
    description:
      `${what}. Each value is a literal or a path into the saga context: "$.input.x", ` +
      `"$.steps.<step>.reply.x", "$.steps.<step>.response.body.x", "$.sagaId", and in ` +
      `compensations "$.failure.message". Write "$$" to start a literal string with "$".`,
  });

/** Retry policy of a step; every field is optional and defaults are applied by the compiler. */
export const retryPolicySchema = z
  .strictObject({
    maxAttempts: z
      .union([z.int().min(1).max(1000), z.literal("unlimited")])
      .optional()
      .meta({
        description:
          'Attempts in total, including the first; "unlimited" retries until success. Default 3.',
      }),
    initialDelay: duration("Delay before the second attempt. Default 1s").optional(),
    backoffRate: z
      .number()
      .min(1)
      .max(10)
      .optional()
      .meta({ description: "Each delay is the previous one times this rate. Default 2." }),
    maxDelay: duration("Cap on any single delay. Default 5m").optional(),
    jitter: z.enum(["full", "none"]).optional().meta({
      description: '"full" picks each delay uniformly in [0, computed delay]. Default "full".',
    }),
    nonRetryable: z.array(z.string().min(1)).optional().meta({
      description:
        'Technical failures that must not be retried: error codes the contract declares, or HTTP status codes such as "400". Default none.',
    }),
  })
  .meta({ description: "Retry policy: exponential backoff with a cap and jitter." });

/** A compensation: a command to the step's service that semantically undoes the step. */
export const compensationSchema = z
  .strictObject({
    command: messageName("Command that undoes the step"),
    payload: mapping("Payload of the compensation command"),
    retry: retryPolicySchema.optional(),
    timeout: duration("Timeout of one compensation attempt. Default 30s").optional(),
  })
  .meta({
    description:
      "Undoes a completed step when a later step fails. Compensations are retried; when they still fail the saga needs an operator.",
  });

/** A literal a condition compares with. */
export type ConditionLiteral = string | number | boolean | null;

/** Comparison operators of a condition, each with the literal it takes. */
export const COMPARISONS = [
  "equals",
  "notEquals",
  "greaterThan",
  "greaterThanOrEqual",
  "lessThan",
  "lessThanOrEqual",
  "in",
] as const;
/** One of `COMPARISONS`. */
export type Comparison = (typeof COMPARISONS)[number];

/** A condition as authored (`when` of a step). */
export type ConditionDefinition =
  | { all: ConditionDefinition[] }
  | { any: ConditionDefinition[] }
  | { not: ConditionDefinition }
  | { stepRan: string }
  | { path: string; exists: boolean }
  | ({ path: string; ifMissing?: boolean } & (
      | { equals: ConditionLiteral }
      | { notEquals: ConditionLiteral }
      | { greaterThan: number }
      | { greaterThanOrEqual: number }
      | { lessThan: number }
      | { lessThanOrEqual: number }
      | { in: ConditionLiteral[] }
    ));

const conditionPath = z.string().regex(/^\$\./).meta({
  description:
    'What the condition reads: "$.input.x", "$.steps.<step>.reply.x", "$.steps.<step>.response.body.x" or ".response.status" of an earlier step.',
});
const conditionLiteral = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const ifMissing = z.boolean().optional().meta({
  description:
    "What the comparison is when the path is absent (a field the schema does not require, or an earlier step that was not taken). Needed for such a path unless an `exists` test of it comes earlier in an enclosing `all`.",
});
const comparison = <Key extends Comparison, Value extends z.ZodType>(
  key: Key,
  value: Value,
  description: string,
) =>
  z
    .strictObject({ path: conditionPath, [key]: value, ifMissing } as {
      path: typeof conditionPath;
      ifMissing: typeof ifMissing;
    } & Record<Key, Value>)
    .meta({ description });

/**
 * A step's condition: evaluated once, when the step is reached, from the saga's input and the
 * earlier steps' outputs. A step whose condition is false is not taken (and never compensated).
 */
export const conditionSchema: z.ZodType<ConditionDefinition> = z
  .lazy(() =>
    z.union([
      z.strictObject({ all: z.array(conditionSchema).min(1) }).meta({
        description:
          "True when every condition is; read left to right, so an earlier `exists` guards a later comparison.",
      }),
      z
        .strictObject({ any: z.array(conditionSchema).min(1) })
        .meta({ description: "True when at least one condition is." }),
      z
        .strictObject({ not: conditionSchema })
        .meta({ description: "True when the condition is false." }),
      z
        .strictObject({ stepRan: z.string().regex(NAME_PATTERN) })
        .meta({ description: "True when the earlier step was taken (its own condition held)." }),
      z
        .strictObject({ path: conditionPath, exists: z.boolean() })
        .meta({ description: "True when the path is present (exists: true) or absent (false)." }),
      comparison("equals", conditionLiteral, "True when the value equals the literal."),
      comparison("notEquals", conditionLiteral, "True when the value differs from the literal."),
      comparison("greaterThan", z.number(), "True when the number is greater."),
      comparison("greaterThanOrEqual", z.number(), "True when the number is greater or equal."),
      comparison("lessThan", z.number(), "True when the number is smaller."),
      comparison("lessThanOrEqual", z.number(), "True when the number is smaller or equal."),
      comparison(
        "in",
        z.array(conditionLiteral).min(1),
        "True when the value equals one of the literals.",
      ),
    ]),
  )
  .meta({
    id: "condition",
    description:
      'A condition over the saga\'s data: { "path": "$.input.x", "greaterThan": 100 }, "equals", "notEquals", "greaterThanOrEqual", "lessThan", "lessThanOrEqual", "in", "exists", { "stepRan": "<step>" }, and "all" / "any" / "not".',
  });

const stepCommon = {
  name: name("Step name, unique in the saga"),
  description: z.string().optional().meta({ description: "What the step does, for humans." }),
  service: name("Service that runs the step, as declared in the contracts"),
  compensation: compensationSchema.optional(),
  readOnly: z.boolean().optional().meta({
    description: "Declares the step changes nothing, so it needs no compensation.",
  }),
  pivot: z.boolean().optional().meta({
    description:
      "The go/no-go step. Steps before it are compensatable, steps after it are retried until success.",
  }),
  retry: retryPolicySchema.optional(),
  timeout: duration("Timeout of one attempt. Default 30s for commands, 10s for HTTP").optional(),
  when: conditionSchema.optional().meta({
    description:
      "Run the step only when this condition holds, evaluated once when the step is reached. A step not taken is recorded as such and never compensated. The pivot cannot have one.",
  }),
};

/** A step that sends a command to a service's SQS queue and waits for its reply. */
export const commandStepSchema = z
  .strictObject({
    kind: z.literal("command").meta({ description: "A command to the service over SQS." }),
    ...stepCommon,
    command: messageName("Command name, as declared in the service's contract"),
    payload: mapping("Payload of the command"),
    outcomes: z
      .strictObject({
        success: z.array(messageName("Reply")).min(1),
        businessFailure: z.array(messageName("Reply")).optional(),
      })
      .meta({
        description:
          "Which replies mean success and which mean a business failure (which starts compensation).",
      }),
  })
  .meta({ title: "Command step" });

/**
 * HTTP methods a step may use: exactly the `HttpMethod`s a contract's endpoint may declare. The
 * list is repeated here (this package imports contracts' types only, never their code) and the
 * two checks below make the compiler refuse any drift.
 */
export const HTTP_METHODS = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
] as const satisfies readonly HttpMethod[];
type MissingMethod = Exclude<HttpMethod, (typeof HTTP_METHODS)[number]>;
const noMissingMethod: [MissingMethod] extends [never] ? true : MissingMethod = true;
void noMissingMethod;

/** A step that calls a service's HTTP endpoint synchronously. */
export const httpStepSchema = z
  .strictObject({
    kind: z.literal("http").meta({ description: "A synchronous HTTP call to the service." }),
    ...stepCommon,
    request: z.strictObject({
      method: z.enum(HTTP_METHODS),
      // A pattern rather than startsWith: zod writes startsWith as the non-standard JSON Schema
      // format "starts_with", which editors and validators do not know.
      path: z.string().regex(/^\//, 'Start the path with "/"').meta({
        description: 'Endpoint path as the contract declares it, e.g. "/customers/:id".',
      }),
      params: mapping("Values of the path parameters").optional(),
      query: mapping("Query string parameters").optional(),
      body: mapping("Request body").optional(),
    }),
    outcomes: z
      .strictObject({
        success: z.array(z.int().min(100).max(599)).min(1),
        businessFailure: z.array(z.int().min(100).max(599)).optional(),
      })
      .meta({
        description:
          "Which HTTP statuses mean success and which mean a business failure. Other statuses are technical failures and are retried.",
      }),
  })
  .meta({ title: "HTTP step" });

/** What happens when an `await` step's deadline passes with no event. */
export const AWAIT_DEADLINE_ACTIONS = ["compensate", "needs-intervention"] as const;

/**
 * A step that waits for an event another system sends (a payment provider's webhook), found by
 * a correlation key taken from the saga's data. It changes nothing itself, so it has no
 * compensation and is never retried; its deadline is required.
 */
export const awaitStepSchema = z
  .strictObject({
    kind: z.literal("await").meta({
      description: "Wait for an outside event, declared in the contracts' `events`.",
    }),
    name: stepCommon.name,
    description: stepCommon.description,
    service: name("The outside system that sends the event, as declared in the contracts"),
    pivot: stepCommon.pivot,
    when: stepCommon.when,
    correlation: z.string().regex(/^\$\./).meta({
      description:
        'Where the correlation key sits in the saga\'s data, e.g. "$.input.paymentId": the event whose correlation field holds the same value is the one this step waits for. Two sagas cannot wait on the same key.',
    }),
    outcomes: z
      .strictObject({
        success: z.array(messageName("Event")).min(1),
        businessFailure: z.array(messageName("Event")).optional(),
      })
      .meta({
        description:
          "Which events mean success and which a business failure (which starts compensation). Later steps read the event as $.steps.<step>.event.<field>.",
      }),
    deadline: z
      .strictObject({
        after: duration("How long to wait for the event, from when the step is reached"),
        otherwise: z.enum(AWAIT_DEADLINE_ACTIONS).meta({
          description:
            '"compensate" undoes the earlier steps; "needs-intervention" parks the saga for an operator (required after the pivot).',
        }),
      })
      .meta({
        description:
          "Required: how long to wait and what happens when no event came by then. At most the saga's timeout.",
      }),
  })
  .meta({ title: "Await step" });

/**
 * An explicit compensation of a `saga` step: a command to a service of its own (the step has no
 * service), run once the child can no longer undo itself (it passed its pivot).
 */
export const subSagaCompensationSchema = compensationSchema
  .extend({ service: name("Service that runs the compensating command") })
  .meta({
    description:
      "Undoes what the child saga did once it passed its pivot: a command to a service, sent after the child has finished.",
  });

/**
 * A step that starts another saga (by name and version) as its child and waits for it to end.
 * The child completing is success; compensated or failed is a business failure (it has undone
 * itself). One attempt: the start is idempotent per parent step and attempt, and `deadline`
 * bounds the wait (a child parked for an operator keeps the parent waiting until then).
 */
export const sagaStepSchema = z
  .strictObject({
    kind: z.literal("saga").meta({
      description: "Start another saga as a child and wait for it; later steps read its output.",
    }),
    name: stepCommon.name,
    description: stepCommon.description,
    saga: z
      .strictObject({
        name: name("Name of the child saga, as its definition file declares it"),
        version: z.int().min(1).meta({ description: "Version of the child saga." }),
      })
      .meta({ description: "The saga to start: its definition must be in the same folder." }),
    input: mapping("Input of the child saga, checked against its input schema"),
    deadline: duration(
      "How long to wait for the child to end, from the start; then the step's outcome is unknown",
    ),
    compensation: z
      .union([
        z.literal("child").meta({
          description:
            "Ask the child to compensate itself. Refused when the child has a pivot: it may pass it and can then no longer undo; write an explicit compensation instead.",
        }),
        subSagaCompensationSchema,
      ])
      .optional(),
    pivot: stepCommon.pivot,
    when: stepCommon.when,
  })
  .meta({ title: "Sub-saga step" });

/** A step: a command over SQS, an HTTP call, a wait for an outside event or a child saga, told apart by `kind`. */
export const stepSchema = z.discriminatedUnion("kind", [
  commandStepSchema,
  httpStepSchema,
  awaitStepSchema,
  sagaStepSchema,
]);

/** One branch of a parallel group: a short sequence of steps run in order. */
export const parallelBranchSchema = z
  .strictObject({
    name: name("Branch name, unique in its group"),
    steps: z.array(stepSchema).min(1).meta({
      description: "The branch's steps, run one after the other; at least one.",
    }),
  })
  .meta({ title: "Branch" });

/**
 * A parallel group: two or more branches started together (all first steps in one transition);
 * the group completes when every branch has. When a branch fails, nothing new starts, in-flight
 * sibling steps and every completed branch step are compensated, then the steps before the group.
 */
export const parallelGroupSchema = z
  .strictObject({
    kind: z.literal("parallel").meta({ description: "Branches run at the same time." }),
    name: name("Group name, unique among the saga's step names"),
    description: z.string().optional().meta({ description: "What the group does, for humans." }),
    branches: z.array(parallelBranchSchema).min(2).meta({
      description:
        "At least two branches. A branch step may not read a sibling branch's output; steps after the group may read any branch.",
    }),
  })
  .meta({ title: "Parallel group" });

/**
 * An entry of `steps`: a step, or a parallel group of branches of steps. A branch's steps take
 * the same kinds; the validator refuses an await step there (SAGA_AWAIT_IN_BRANCH), with a line
 * and column, rather than this union's generic "invalid discriminator".
 */
export const sagaItemSchema = z.discriminatedUnion("kind", [
  commandStepSchema,
  httpStepSchema,
  awaitStepSchema,
  sagaStepSchema,
  parallelGroupSchema,
]);

/** The JSON Schema of the saga's input; it must describe an object. */
export const inputSchemaSchema = z
  .looseObject({
    type: z.literal("object"),
    properties: z.record(z.string(), z.json()).optional(),
    required: z.array(z.string()).optional(),
  })
  .meta({
    description:
      'JSON Schema of the input a saga starts with: draft-07 unless its own "$schema" names draft 2019-09 or 2020-12. Paths "$.input.x" are checked against it.',
  });

/** The top-level fields of a definition, without its steps (validated separately). */
export const definitionHeaderSchema = z.strictObject({
  $schema: z.string().optional().meta({ description: "Path of this JSON Schema, for editors." }),
  name: name("Saga name, the file name without .saga.json"),
  version: z.int().min(1).meta({
    description:
      "Integer version; bump it whenever the content changes, running sagas keep theirs.",
  }),
  description: z.string().min(1).meta({ description: "What business process the saga runs." }),
  input: inputSchemaSchema,
  timeout: duration("Timeout of the whole saga; when it fires the saga compensates").optional(),
  output: mapping(
    "What the saga hands to a parent that started it as a child, evaluated when it completes; a parent's later steps read it as $.steps.<step>.output.<field>",
  ).optional(),
  steps: z.array(z.unknown()),
});

/** The maximum number of steps: keeps a state machine reviewable and its diagram readable. */
export const MAX_STEPS = 200;

/** The whole definition document. */
export const sagaDefinitionSchema = definitionHeaderSchema
  .extend({
    steps: z.array(sagaItemSchema).min(1).max(MAX_STEPS).meta({
      description:
        "Ordered steps and parallel groups. At most one step has `pivot: true`, never one inside a branch. At most 200 steps, counting those inside branches.",
    }),
  })
  .meta({
    title: "Sagaworks saga definition",
    description: "One business process, run as an orchestrated saga over SQS/SNS and HTTP.",
  });

/** A definition as authored (defaults not applied). */
export type SagaDefinition = z.infer<typeof sagaDefinitionSchema>;
/** A step as authored. */
export type StepDefinition = z.infer<typeof stepSchema>;
/** A parallel group as authored. */
export type ParallelGroupDefinition = z.infer<typeof parallelGroupSchema>;
/** An entry of `steps` as authored: a step or a parallel group. */
export type SagaItemDefinition = z.infer<typeof sagaItemSchema>;
/** A command step as authored. */
export type CommandStepDefinition = z.infer<typeof commandStepSchema>;
/** An HTTP step as authored. */
export type HttpStepDefinition = z.infer<typeof httpStepSchema>;
/** An await step as authored. */
export type AwaitStepDefinition = z.infer<typeof awaitStepSchema>;
/** A sub-saga step as authored. */
export type SagaStepDefinition = z.infer<typeof sagaStepSchema>;
/** A retry policy as authored. */
export type RetryPolicyDefinition = z.infer<typeof retryPolicySchema>;
/** A compensation as authored. */
export type CompensationDefinition = z.infer<typeof compensationSchema>;

/**
 * The JSON Schema (draft-07, the draft editors support best) of the definition format, which
 * `saga-definitions/*.saga.json` point at through `$schema`.
 */
export function sagaDefinitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(sagaDefinitionSchema, { target: "draft-7", io: "input" }) as Record<
    string,
    unknown
  >;
}

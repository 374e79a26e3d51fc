// The bodies of the operator actions, `POST /sagas/:id/{retry,skip,compensate,resolve,
// complete-wait,reopen-wait}`. The orchestrator narrows every string and JSON value it reads to
// what it can store (service-kit's guards, which need Fastify's kit); this package stays free of
// it by taking those parts as arguments.
import { z } from "zod";

/** How the schemas read free text and JSON values. */
export interface RequestParts {
  /** A string; the orchestrator passes service-kit's `storableString`. */
  text: () => z.ZodString;
  /** Any JSON value; the orchestrator passes service-kit's `storableJson`. */
  json: () => z.ZodType<unknown>;
}

/** Plain zod: what a client that only builds bodies needs. */
const plainParts: RequestParts = { text: () => z.string(), json: () => z.unknown() };

/**
 * The operator actions' body schemas, with `parts` (default: plain zod) for text and JSON:
 * `resolve` (`expected` optional), `operator` (retry, reopen-wait), `skip`, `compensate`,
 * `completeWait`.
 */
export function operatorActionBodies(parts: RequestParts = plainParts) {
  const { text, json } = parts;
  /** What the operator saw the saga wait on; the action applies only if it still does. */
  const expectedWork = z.object(
    {
      step: text().min(1).max(128),
      attempt: z.int().positive(),
      compensation: z.boolean(),
    },
    {
      error: () =>
        "expected is required: the step, attempt and compensation flag you saw the saga wait on (snapshot.pending)",
    },
  );
  const resolve = z.object({
    reason: text().trim().min(1, "say why").max(2000),
    actor: text().trim().min(1, "say who is acting").max(200),
    expected: expectedWork.optional(),
  });
  const operator = resolve.extend({ expected: expectedWork });
  const skip = operator.extend({
    output: z.record(text(), json(), { message: "must be the step's output object" }),
  });
  const compensate = operator.extend({
    pivotOutcome: z
      .literal("not-applied", {
        error: () =>
          'pivotOutcome may only be "not-applied": you made sure the pivot did not and will not apply',
      })
      .optional(),
  });
  const completeWait = operator.extend({
    event: text().regex(/^[A-Z][A-Za-z0-9]*$/, "name the event, e.g. PaymentCaptured"),
    payload: z.record(text(), json(), {
      message: "must be the event's payload object (later steps read it)",
    }),
  });
  return { resolve, operator, skip, compensate, completeWait };
}

type Bodies = ReturnType<typeof operatorActionBodies>;

/**
 * Any operator action's body as a client sends it: who and why, what the saga was seen waiting
 * on, and the fields of the actions that take more (`output`, `pivotOutcome`, `event`, `payload`).
 */
export type OperatorActionBody = z.input<Bodies["resolve"]> &
  Partial<
    Pick<z.input<Bodies["skip"]>, "output"> &
      Pick<z.input<Bodies["compensate"]>, "pivotOutcome"> &
      Pick<z.input<Bodies["completeWait"]>, "event" | "payload">
  >;

// The body of every error the API answers, and the one error whose details a client reads.
import { z } from "zod";

/** Every 4xx the API answers: a stable code, a message that says what to do, and details. */
export const errorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
/** An error answer of the API. */
export type ErrorBody = z.infer<typeof errorBody>;

/**
 * The 410 SAGA_ARCHIVED of a saga's read, with the details a client reads: where the pruned
 * saga's record was archived. The routes declare the 410 as {@link errorBody}.
 */
export const sagaArchivedBody = errorBody.extend({
  details: z.object({
    sagaId: z.string(),
    prunedAt: z.string(),
    /** The archive object (s3://bucket/key or a file path); null when pruned without archiving. */
    location: z.string().nullable(),
    /** Every object holding it, newest first (an interrupted prune writes a saga twice). */
    locations: z.array(z.string()),
  }),
});
/** The 410 answer for a saga that finished and was pruned. */
export type SagaArchivedBody = z.infer<typeof sagaArchivedBody>;

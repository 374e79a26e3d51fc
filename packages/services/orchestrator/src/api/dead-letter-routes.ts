// The read-only dead-letter view: the deployment's DLQs with their depth, and one DLQ's messages
// grouped, joined to their sagas and planned as `ops dlq replay` would (a dry run). Nothing here
// sends, deletes or changes a message; the replay itself stays an `ops` command, which the view
// spells out.

import type { DeadLetterReader } from "@sagaworks/dead-letters";
import { storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";

/** Options of {@link deadLetterRoutes}. */
export interface DeadLetterRoutesOptions {
  deadLetters: Pick<DeadLetterReader, "list" | "read">;
}

const errorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
const depth = z.object({
  visible: z.number().int(),
  inFlight: z.number().int(),
  delayed: z.number().int(),
  total: z.number().int(),
});
const queueSummary = z.object({
  name: z.string(),
  sourceQueue: z.string(),
  owner: z.string(),
  role: z.string(),
  maxReceiveCount: z.number().int().nullable(),
  exists: z.boolean(),
  depth: depth.nullable(),
});
const verdict = z.enum(["waiting", "stale", "unknown-saga", "archived", "poison", "event"]);
const planCounts = z.object({
  send: z.number().int(),
  skip: z.number().int(),
  afterFirst: z.number().int(),
});
const joinedSaga = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  status: z.string(),
  state: z.string(),
  updatedAt: z.string(),
  /** What the saga waits on, by step; empty when terminal. */
  pending: z.record(
    z.string(),
    z.object({
      step: z.string(),
      compensation: z.boolean(),
      attempt: z.number().int(),
      waitingFor: z.string(),
    }),
  ),
});
const reportMessage = z.object({
  sqsMessageId: z.string(),
  sentAt: z.string(),
  messageId: z.string().nullable(),
  sagaId: z.string().nullable(),
  step: z.string().nullable(),
  attempt: z.number().int().nullable(),
  compensation: z.boolean().nullable(),
  explanation: z.string(),
  saga: joinedSaga.nullable(),
  action: z.enum(["send", "skip", "after-first", "returned"]),
  why: z.string(),
  bodyPreview: z.string().nullable(),
});
const reportGroup = z.object({
  key: z.string(),
  verdict,
  count: z.number().int(),
  kind: z.string().nullable(),
  name: z.string().nullable(),
  sagaName: z.string().nullable(),
  step: z.string().nullable(),
  reason: z.string().nullable(),
  oldestSentAt: z.string(),
  newestSentAt: z.string(),
  plan: planCounts,
  replayCommand: z.string().nullable(),
  messages: z.array(reportMessage),
  moreMessages: z.number().int(),
});
const queueView = z.object({
  queue: queueSummary,
  readAt: z.string(),
  limit: z.number().int(),
  truncated: z.boolean(),
  hiddenForSeconds: z.number().int(),
  count: z.number().int(),
  verdicts: z.record(verdict, z.number().int()),
  groups: z.array(reportGroup),
  plan: planCounts.extend({ outcome: z.string() }),
  commands: z.object({ inspect: z.string(), dryRun: z.string(), execute: z.string() }),
});

/** `GET /dead-letters` and `GET /dead-letters/:queue`, registered inside the API's protected scope. */
export const deadLetterRoutes: FastifyPluginAsyncZod<DeadLetterRoutesOptions> = async (
  app,
  options,
) => {
  const { deadLetters } = options;

  app.get(
    "/dead-letters",
    {
      schema: {
        description:
          "Every DLQ of the deployment (each working queue's -dlq, from the topology) with its approximate depth. Reads queue attributes only; no message is received.",
        security: [{ bearer: [] }],
        response: { 200: z.object({ queues: z.array(queueSummary) }), 401: errorBody },
      },
    },
    async () => ({ queues: await deadLetters.list() }),
  );

  app.get(
    "/dead-letters/:queue",
    {
      schema: {
        description:
          "One DLQ (by its name or its source queue's name), read without taking anything out: its messages grouped by verdict, type, saga step and failure reason, each joined to its saga's state, with the dry-run replay plan of `ops dlq replay` and the commands that act on it. The read hides messages for about a second (30 s at most) and then makes them visible again.",
        security: [{ bearer: [] }],
        params: z.object({ queue: storableString().min(1).max(80) }),
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(500),
          includeStale: z
            .enum(["true", "false"], { message: "must be true or false" })
            .default("false")
            .transform((value) => value === "true"),
        }),
        response: { 200: queueView, 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { queue } = request.params;
      const outcome = await deadLetters.read(queue, request.query);
      if (outcome.kind === "unknown") {
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.deadLetterQueueUnknown,
          `No DLQ named "${queue}" in this deployment's topology; its DLQs are: ${outcome.known.join(", ")}.`,
          { queue, known: outcome.known },
        );
      }
      if (outcome.kind === "missing") {
        throw OrchestratorErrors.create(
          OrchestratorErrorCode.deadLetterQueueMissing,
          `The DLQ ${outcome.queue} is in the topology but not on the broker; apply the topology (pnpm topology apply).`,
          { queue: outcome.queue },
        );
      }
      return outcome.view;
    },
  );
};

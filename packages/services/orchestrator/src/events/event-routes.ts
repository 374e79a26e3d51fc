// `POST /events/:name`: an outside system (a payment provider's webhook relay) delivers an event
// for a saga waiting on it. The answer says what the sender should do: nothing more (applied,
// duplicate, kept until its wait opens), give up or compensate on its side (409 too late), or
// check what it sent (404 no such wait, 404 unknown event, 400 invalid).
import { storableJson, storableString } from "@sagaworks/service-kit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { EventIntake } from "./event-intake.ts";

/** Options of {@link eventRoutes}. */
export interface EventRoutesOptions {
  events: Pick<EventIntake, "receive">;
}

/** The codes this route answers with besides success; each is in the README's table. */
export const EventRouteCode = {
  tooLate: "EVENT_TOO_LATE",
  waitNotFound: "EVENT_WAIT_NOT_FOUND",
  unknown: "EVENT_UNKNOWN",
  invalid: "EVENT_PAYLOAD_INVALID",
} as const;

const eventParams = z.object({
  name: storableString().regex(/^[A-Z][A-Za-z0-9]*$/, "an event name such as PaymentCaptured"),
});
const eventBody = z.object({
  eventId: storableString().min(1).max(200).meta({
    description: "The sender's id of this event; a second delivery with it is a duplicate.",
  }),
  payload: z.record(storableString(), storableJson(), {
    message: "must be the event's payload object",
  }),
});

/** The route that takes outside events in. */
export const eventRoutes: FastifyPluginAsyncZod<EventRoutesOptions> = async (app, options) => {
  app.post(
    "/events/:name",
    {
      schema: {
        description:
          "Deliver an outside event (declared in the contracts' `events`) for the saga waiting on its correlation key. 200 applied or duplicate; 202 kept (no wait is open yet: it is applied when one opens, or dropped at expiresAt); 409 EVENT_TOO_LATE (the wait already had its outcome: the event is recorded and published, never applied); 404 EVENT_WAIT_NOT_FOUND (no deployed saga waits for this event); 404 EVENT_UNKNOWN; 400 EVENT_PAYLOAD_INVALID.",
        security: [{ bearer: [] }],
        params: eventParams,
        body: eventBody,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const verdict = await options.events.receive(
        { name, eventId: request.body.eventId, payload: request.body.payload },
        "http",
      );
      switch (verdict.kind) {
        case "applied":
          return reply
            .code(200)
            .send({ status: "applied", sagaId: verdict.sagaId, step: verdict.step });
        case "duplicate":
          return reply.code(200).send({ status: "duplicate", sagaId: verdict.sagaId });
        case "kept":
          return reply.code(202).send({ status: "kept", expiresAt: verdict.expiresAt });
        case "late":
          return reply.code(409).send({
            code: EventRouteCode.tooLate,
            message: `Event ${name} came too late: saga ${verdict.sagaId} no longer waits for it (${verdict.note}). It was recorded and published, not applied; undo on your side what it stood for (refund a captured payment) or ask an operator.`,
            sagaId: verdict.sagaId,
            step: verdict.step,
            sagaStatus: verdict.sagaStatus,
          });
        case "no-wait":
          return reply.code(404).send({
            code: EventRouteCode.waitNotFound,
            message: `No saga waits for ${name} and no deployed saga definition ever will: check the event name, or deploy the saga that waits for it. Nothing was kept.`,
          });
        case "unknown-event":
          return reply.code(404).send({
            code: EventRouteCode.unknown,
            message: `No contract declares an event "${name}"; known events: ${verdict.known.join(", ") || "(none)"}.`,
          });
        case "invalid":
          return reply.code(400).send({
            code: EventRouteCode.invalid,
            message: `The payload of ${name} does not match its contract: ${verdict.problems.join("; ")}.`,
            details: verdict.problems,
          });
      }
    },
  );
};

import { bearerMatches } from "@sagaworks/service-kit";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * An `onRequest` hook that refuses a request without `Authorization: Bearer <token>` with 401,
 * before its body is read. Added once on the API's protected scope (see app.ts); service-kit's
 * comparison takes the same time whatever the header holds.
 */
export function bearerAuth(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!bearerMatches(request.headers.authorization, token)) {
      return reply.code(401).send({
        code: "UNAUTHORIZED",
        message: "Send the API token as 'Authorization: Bearer <token>'.",
      });
    }
  };
}

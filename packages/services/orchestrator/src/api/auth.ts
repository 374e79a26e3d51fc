import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * An `onRequest` hook that refuses a request without `Authorization: Bearer <token>` with 401,
 * before its body is read. The comparison takes the same time whatever the header holds.
 */
export function bearerAuth(token: string) {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({
        code: "UNAUTHORIZED",
        message: "Send the API token as 'Authorization: Bearer <token>'.",
      });
    }
  };
}

// Path parameters of an HTTP step travel as data, never as navigation: a value of `.` or `..`
// would otherwise be normalised away by the URL and send the write to another resource (`..`
// turns POST /notes/.. into POST /, with the write token). Through the real HTTP invoker, against
// a real Fastify server that records every request it gets.
import { waitFor } from "@sagaworks/messaging/testing";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { orchestratorForFile } from "./harness.ts";
import { noteSaga } from "./note-saga.ts";

/** One write step: POST /notes/:id, the pivot. */
const saga: CompiledSaga = compileSagaOrThrow(
  {
    name: "write-note",
    version: 1,
    description: "writes a note through an HTTP step",
    input: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    steps: [
      {
        name: "write-note",
        kind: "http",
        service: "notes",
        request: {
          method: "POST",
          path: "/notes/:id",
          params: { id: "$.input.id" },
          body: { text: "hello" },
        },
        outcomes: { success: [200] },
        pivot: true,
        retry: { maxAttempts: 1 },
        timeout: "5s",
      },
    ],
  },
  {
    contracts: {
      notes: {
        endpoints: [
          {
            method: "POST",
            path: "/notes/:id",
            body: z.object({ text: z.string() }),
            responses: { 200: { description: "written", body: z.object({}) } },
          },
        ],
      },
    },
  },
);

let server: FastifyInstance;
const requests: string[] = [];
afterAll(() => server.close());
const file = orchestratorForFile("http path params", async () => {
  server = Fastify();
  // Every path answers 200, as a service with a root route or a catch-all would.
  server.all("*", async (request) => {
    requests.push(`${request.method} ${request.url}`);
    return {};
  });
  const url = await server.listen({ port: 0, host: "127.0.0.1" });
  return {
    // The topology needs a command participant; note-order brings the order service's queue.
    definitions: [saga, noteSaga()],
    serviceUrls: { notes: url },
    serviceToken: "write-token-0123456789",
  };
});

describe("an HTTP step's path parameter that URL normalisation would treat as navigation", () => {
  beforeEach(() => {
    requests.length = 0;
  });

  it.each([".", ".."])(
    "%j fails the step with HTTP_PATH_PARAM_INVALID and sends nothing",
    async (id) => {
      const { sagaId } = await file.orchestrator.runtime.start(saga, { id });
      const detail = await waitFor(
        async () => {
          const loaded = await file.orchestrator.runtime.load(sagaId);
          return loaded.instance.status === "running" ? undefined : loaded;
        },
        { description: `saga ${sagaId} to end` },
      );
      expect(requests).toEqual([]);
      expect(detail.instance.status).toBe("failed");
      expect(detail.instance.snapshot.failure).toMatchObject({
        step: "write-note",
        kind: "non-retryable",
        code: "HTTP_PATH_PARAM_INVALID",
        message: expect.stringMatching(/path parameter "id".*navigation/),
      });
    },
  );

  it("an ordinary value with dots is sent as it is", async () => {
    const { sagaId } = await file.orchestrator.runtime.start(saga, { id: "a..b" });
    await waitFor(
      async () => (await file.orchestrator.runtime.load(sagaId)).instance.status === "completed",
      { description: "the note to be written" },
    );
    expect(requests).toEqual(["POST /notes/a..b"]);
  });
});

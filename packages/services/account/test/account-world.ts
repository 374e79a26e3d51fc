// One account service per test: its own queues (a unique topology prefix), its own database (PGlite,
// or a fresh schema on the Postgres at DATABASE_URL), the participant on the emulator over HTTP,
// and the REST app on a real socket.
import { accountService } from "@sagaworks/contracts";
import { type Envelope, envelopeMessage, sendToQueue } from "@sagaworks/messaging";
import { COMMAND_FAILED } from "@sagaworks/participant-sdk";
import { commandEnvelope, ReplyCollector } from "@sagaworks/participant-sdk/testing";
import { type AwsClients, createAwsClients, type Logger, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import { testServiceAuth, testWriteHeaders } from "@sagaworks/service-kit/testing";
import {
  applyTopology,
  commandQueueName,
  deriveTopology,
  replyQueueName,
} from "@sagaworks/topology";
import { expect, inject } from "vitest";
import { ACCOUNT_SERVICE_NAME, type AccountService, startAccountService } from "../src/index.ts";

/** What the API answered; the body is what the tests assert on, so it is left untyped. */
export interface HttpAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path and check them with schemas
  body: any;
}

export interface AccountWorld {
  clients: AwsClients;
  db: TestDatabase;
  service: AccountService;
  replies: ReplyCollector;
  /** The topology prefix of this world's queues. */
  prefix: string;
  replyQueue: string;
  baseUrl: string;
  /** Sends commands to the service's queue as the orchestrator would. */
  send(...commands: Envelope[]): Promise<void>;
  /** Sends one command and waits for its reply, checked against the contract. */
  ask(command: Envelope): Promise<Envelope>;
  /** A command envelope addressed from this world's reply queue. */
  command(
    name: string,
    payload: Record<string, unknown>,
    options?: { sagaId?: string; step?: string; attempt?: number; compensation?: boolean },
  ): Envelope;
  /** Sends JSON (or a raw string) and returns the status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/** Checks a reply against the contract: a declared reply parses to itself, a failure has a code. */
export function expectContractReply(command: Envelope, reply: Envelope): void {
  if (reply.name === COMMAND_FAILED) {
    expect(reply.payload).toEqual({ code: expect.any(String), message: expect.any(String) });
    return;
  }
  const schema = accountService.commands[command.name as keyof typeof accountService.commands]
    ?.replies[reply.name as never] as { parse(value: unknown): unknown } | undefined;
  expect(schema, `${reply.name} is a reply of ${command.name} in the contract`).toBeDefined();
  // Equality after parsing also proves no undeclared field was sent (zod strips them).
  expect(schema?.parse(reply.payload)).toEqual(reply.payload);
}

export async function startAccountWorld(
  testName: string,
  options: { logger?: Logger } = {},
): Promise<AccountWorld> {
  const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
  const prefix = uniqueTestName(testName, 24);
  const applied = await applyTopology(
    clients,
    deriveTopology({ prefix, participants: [ACCOUNT_SERVICE_NAME] }),
  );
  const db = await createTestDatabase(testName, process.env);
  const service = await startAccountService({
    db,
    sqs: clients.sqs,
    logger: options.logger ?? silentLogger(),
    prefix,
    waitTimeSeconds: 1,
    auth: testServiceAuth,
  });
  const baseUrl = await service.app.listen({ port: 0, host: "127.0.0.1" });
  const replyQueue = replyQueueName(prefix);
  const replies = new ReplyCollector(clients.sqs, applied.queueUrls[replyQueue] ?? "");
  const commandsUrl = applied.queueUrls[commandQueueName(prefix, ACCOUNT_SERVICE_NAME)] ?? "";
  const world: AccountWorld = {
    clients,
    db,
    service,
    replies,
    prefix,
    replyQueue,
    baseUrl,
    async send(...commands) {
      await sendToQueue(
        clients.sqs,
        commandsUrl,
        commands.map((c) => envelopeMessage(c)),
      );
    },
    async ask(command) {
      await world.send(command);
      const reply = await replies.replyTo(command);
      expectContractReply(command, reply);
      return reply;
    },
    command(name, payload, options = {}) {
      return commandEnvelope({ name, payload, replyTo: replyQueue, ...options });
    },
    async call(method, path, body) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        ...(body === undefined
          ? { headers: testWriteHeaders }
          : {
              headers: { "content-type": "application/json", ...testWriteHeaders },
              body: typeof body === "string" ? body : JSON.stringify(body),
            }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await service.stop();
      await replies.stop();
      await db.drop();
      clients.destroy();
    },
  };
  return world;
}

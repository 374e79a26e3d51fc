// One participant service per test: its own queues (a unique topology prefix), its own database
// (PGlite, or a fresh schema on the Postgres at DATABASE_URL), the participant on the emulator
// over HTTP, and the REST app on a real socket. The order and account tests share it.
import { isDeepStrictEqual } from "node:util";
import { type Envelope, envelopeMessage, sendToQueue } from "@sagaworks/messaging";
import { COMMAND_FAILED } from "@sagaworks/participant-sdk";
import { commandEnvelope, ReplyCollector } from "@sagaworks/participant-sdk/testing";
import { type AwsClients, createAwsClients, type Logger, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import {
  applyTopology,
  commandQueueName,
  deriveTopology,
  replyQueueName,
} from "@sagaworks/topology";
import {
  type ParticipantService,
  type ParticipantServiceDefinition,
  startParticipantService,
} from "../participant/index.ts";
import { testServiceAuth, testWriteHeaders } from "./service-auth.ts";

/** What the API answered; the body is what the tests assert on, so it is left untyped. */
export interface HttpAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path and check them with schemas
  body: any;
}

/** The replies a service's contract declares per command (a `defineService` result fits). */
export interface ReplyContract {
  commands: Readonly<
    Record<string, { replies: Readonly<Record<string, { parse(value: unknown): unknown }>> }>
  >;
}

/** A running participant service with its queues, database and helpers to drive it. */
export interface ParticipantWorld {
  clients: AwsClients;
  db: TestDatabase;
  service: ParticipantService;
  replies: ReplyCollector;
  /** The topology prefix of this world's queues. */
  prefix: string;
  replyQueue: string;
  baseUrl: string;
  /** Sends commands to the service's queue as the orchestrator would. */
  send(...commands: Envelope[]): Promise<void>;
  /** Sends one command and waits for its reply, checked against the contract. */
  ask(command: Envelope): Promise<Envelope>;
  /** A signed command envelope addressed from this world's reply queue. */
  command(
    name: string,
    payload: Record<string, unknown>,
    options?: { sagaId?: string; step?: string; attempt?: number; compensation?: boolean },
  ): Envelope;
  /** Sends JSON (or a raw string) with the test write token; returns status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/**
 * Checks a reply against the contract: a declared reply parses to itself (so no undeclared field
 * was sent; zod strips them), a failure carries exactly a code and a message. Throws otherwise.
 */
export function checkContractReply(contract: ReplyContract, command: Envelope, reply: Envelope) {
  if (reply.name === COMMAND_FAILED) {
    const { code, message, ...rest } = reply.payload;
    if (typeof code !== "string" || typeof message !== "string" || Object.keys(rest).length > 0) {
      throw new Error(
        `${COMMAND_FAILED} must carry exactly { code, message }: ${JSON.stringify(reply.payload)}`,
      );
    }
    return;
  }
  const schema = contract.commands[command.name]?.replies[reply.name];
  if (!schema) {
    throw new Error(`${reply.name} is not a reply of ${command.name} in the contract`);
  }
  const parsed = schema.parse(reply.payload);
  if (!isDeepStrictEqual(parsed, reply.payload)) {
    throw new Error(
      `${reply.name} carries fields its contract does not declare: sent ${JSON.stringify(reply.payload)}, contract keeps ${JSON.stringify(parsed)}`,
    );
  }
}

/** Options of {@link startParticipantWorld}. */
export interface ParticipantWorldOptions {
  /** Names the queues and the schema, so tests never share state. */
  testName: string;
  definition: ParticipantServiceDefinition;
  contract: ReplyContract;
  /** The run's SQS endpoint (vitest's `inject("brokerEndpoint")`). */
  brokerEndpoint: string;
  logger?: Logger;
}

/** Starts one participant service for a test; `close()` stops it and drops its database. */
export async function startParticipantWorld(
  options: ParticipantWorldOptions,
): Promise<ParticipantWorld> {
  const { testName, definition } = options;
  const clients = createAwsClients({ endpoint: options.brokerEndpoint });
  const prefix = uniqueTestName(testName, 24);
  const applied = await applyTopology(
    clients,
    deriveTopology({ prefix, participants: [definition.name] }),
  );
  const db = await createTestDatabase(testName, process.env);
  const service = await startParticipantService(definition, {
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
  const commandsUrl = applied.queueUrls[commandQueueName(prefix, definition.name)] ?? "";
  const world: ParticipantWorld = {
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
      checkContractReply(options.contract, command, reply);
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

/** What stays the same across one service's tests: everything but the test's name and logger. */
export type ParticipantWorldService = Omit<ParticipantWorldOptions, "testName" | "logger">;

/**
 * {@link startParticipantWorld} bound to one service, for that service's tests: they then give
 * only their name, and a logger when they read its lines.
 */
export function participantWorldStarter(
  service: ParticipantWorldService,
): (testName: string, options?: { logger?: Logger }) => Promise<ParticipantWorld> {
  return (testName, options = {}) => startParticipantWorld({ ...service, testName, ...options });
}

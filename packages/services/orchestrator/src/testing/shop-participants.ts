// Small participants and a customer stand-in for tests and benchmarks: they answer commands over
// SQS the way the real services will, with none of their storage.
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  ack,
  type CommandEnvelope,
  devReplyKey,
  type Envelope,
  envelopeMessage,
  poison,
  type ReceivedMessage,
  replyToCommand,
  SqsConsumer,
  sendToQueue,
  signEnvelope,
} from "@sagaworks/messaging";
import { type AwsClients, silentLogger } from "@sagaworks/platform";
import { commandQueueName } from "@sagaworks/topology";
import Fastify from "fastify";

/** What a participant answers: a reply name and payload, or null to stay silent. */
export type Answer = { name: string; payload: Record<string, unknown> } | null;

/**
 * A participant made of plain handlers: answers each command on its queue to `replyTo`. Start it
 * after the orchestrator, which creates the queues.
 */
export async function startParticipant(
  env: { clients: AwsClients; prefix: string },
  service: string,
  answer: (
    command: CommandEnvelope,
    delivery: ReceivedMessage<Envelope>,
  ) => Answer | Promise<Answer>,
  options: { duplicateReplies?: boolean } = {},
): Promise<{ consumer: SqsConsumer<Envelope>; received: CommandEnvelope[] }> {
  const received: CommandEnvelope[] = [];
  const replyUrls = new Map<string, string>();
  const replyUrl = async (name: string) => {
    let url = replyUrls.get(name);
    if (!url) {
      url =
        (await env.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? "";
      replyUrls.set(name, url);
    }
    return url;
  };
  const queueUrl =
    (
      await env.clients.sqs.send(
        new GetQueueUrlCommand({ QueueName: commandQueueName(env.prefix, service) }),
      )
    ).QueueUrl ?? "";
  const consumer = new SqsConsumer<Envelope>({
    sqs: env.clients.sqs,
    queueUrl,
    logger: silentLogger(),
    waitTimeSeconds: 1,
    concurrency: 20,
    handler: async (delivery) => {
      const command = delivery.body;
      if (command.kind !== "command") {
        return poison(`${service} takes commands; got a ${command.kind} named ${command.name}`);
      }
      received.push(command);
      const reply = await answer(command, delivery);
      if (!reply) return ack();
      // Signed with this service's development reply key, as the orchestrator expects of it.
      const unsigned = replyToCommand(command, reply);
      const envelope = signEnvelope(unsigned, { current: devReplyKey(service) });
      const url = await replyUrl(command.replyTo);
      const copies = options.duplicateReplies ? [envelope, envelope] : [envelope];
      await sendToQueue(
        env.clients.sqs,
        url,
        copies.map((e) => envelopeMessage(e)),
      );
      return ack();
    },
  });
  consumer.start();
  return { consumer, received };
}

/** Answers for the shipped create-order and cancel-order sagas, with a per-customer limit. */
export function shopAnswers(limitCents = 10_000) {
  const reserved = new Map<string, number>();
  return {
    order(command: CommandEnvelope): Answer {
      const p = command.payload as Record<string, unknown>;
      switch (command.name) {
        case "CreateOrder":
          return {
            name: "OrderCreated",
            payload: {
              orderId: p.orderId,
              customerId: p.customerId,
              status: "PENDING",
              totalCents: p.totalCents,
            },
          };
        case "RejectOrder":
          return { name: "OrderRejected", payload: { orderId: p.orderId, status: "REJECTED" } };
        case "ApproveOrder":
          return { name: "OrderApproved", payload: { orderId: p.orderId, status: "APPROVED" } };
        default:
          return null;
      }
    },
    account(command: CommandEnvelope): Answer {
      const p = command.payload as { customerId: string; orderId: string; amountCents: number };
      if (command.name !== "ReserveCredit") return null;
      const used = reserved.get(p.customerId) ?? 0;
      if (used + p.amountCents > limitCents) {
        return {
          name: "CreditLimitExceeded",
          payload: {
            ...p,
            requestedCents: p.amountCents,
            availableCreditCents: limitCents - used,
            amountCents: undefined,
          },
        };
      }
      reserved.set(p.customerId, used + p.amountCents);
      return {
        name: "CreditReserved",
        payload: { ...p, availableCreditCents: limitCents - used - p.amountCents },
      };
    },
  };
}

/** A customer service stand-in: GET /customers/:id, 404 for ids starting with "unknown". */
export async function startCustomerServer(
  /** When given, a call without `Authorization: Bearer <requireToken>` gets a 401. */
  requireToken?: string,
): Promise<{
  url: string;
  calls: number;
  close(): Promise<void>;
}> {
  const app = Fastify();
  const state = { calls: 0 };
  app.get<{ Params: { id: string } }>("/customers/:id", async (request, reply) => {
    state.calls++;
    if (requireToken !== undefined && request.headers.authorization !== `Bearer ${requireToken}`)
      return reply.code(401).send({ code: "UNAUTHORIZED", message: "a read token is required" });
    const { id } = request.params;
    if (id.startsWith("unknown"))
      return reply.code(404).send({ error: "NOT_FOUND", message: `no customer ${id}` });
    return {
      id,
      name: "Ada",
      email: "ada@example.com",
      creditLimitCents: 10_000,
      status: "ACTIVE",
    };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    get calls() {
      return state.calls;
    },
    close: () => app.close(),
  };
}

/** A create-order input. */
export function orderInput(customerId: string, totalCents: number) {
  return {
    customerId,
    items: [{ sku: "sku-1", quantity: 1, unitPriceCents: totalCents }],
    totalCents,
  };
}

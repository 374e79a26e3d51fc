import { randomUUID } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ack,
  type CommandEnvelope,
  type CommandKeys,
  createCommandEnvelope,
  DEV_COMMAND_KEY,
  type Envelope,
  poison,
  type ReplyEnvelope,
  SqsConsumer,
  signEnvelope,
} from "@sagaworks/messaging";
import { MessageSpy, type WaitOptions } from "@sagaworks/messaging/testing";
import { silentLogger } from "@sagaworks/platform";

/**
 * A command envelope as the orchestrator sends it, for driving a participant from a test: the
 * idempotency key follows the orchestrator's convention (`<saga>:<step>` for an action,
 * `<saga>:<step>:compensation` for its compensation, whose `actionKey` is the action's key), and
 * it is signed with `keys` (the development key by default; `null` leaves it unsigned).
 */
export function commandEnvelope(input: {
  name: string;
  payload: Record<string, unknown>;
  replyTo: string;
  sagaId?: string;
  step?: string;
  attempt?: number;
  compensation?: boolean;
  keys?: CommandKeys | null;
}): CommandEnvelope {
  const sagaId = input.sagaId ?? randomUUID();
  const step = input.step ?? "step";
  const common = {
    name: input.name,
    sagaId,
    sagaName: "test-saga",
    sagaVersion: 1,
    step,
    attempt: input.attempt ?? 1,
    replyTo: input.replyTo,
    payload: input.payload,
  };
  const actionKey = `${sagaId}:${step}`;
  const envelope = createCommandEnvelope(
    input.compensation
      ? { ...common, compensation: true, idempotencyKey: `${actionKey}:compensation`, actionKey }
      : { ...common, compensation: false, idempotencyKey: actionKey },
  );
  if (input.keys === null) return envelope;
  return signEnvelope(envelope, input.keys ?? { current: DEV_COMMAND_KEY });
}

/** Consumes a reply queue and keeps every reply, so tests wait for one instead of sleeping. */
export class ReplyCollector {
  readonly spy = new MessageSpy<ReplyEnvelope>();
  private readonly consumer: SqsConsumer<Envelope>;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.consumer = new SqsConsumer<Envelope>({
      sqs,
      queueUrl,
      logger: silentLogger(),
      waitTimeSeconds: 1,
      handler: async ({ body }) => {
        if (body.kind !== "reply") return poison(`expected a reply, got a ${body.kind}`);
        this.spy.record(body);
        return ack();
      },
    });
    this.consumer.start();
  }

  /** Waits for a reply to the given command (by causation id) and returns it. */
  replyTo(command: Envelope, options: WaitOptions = {}): Promise<ReplyEnvelope> {
    return this.spy.waitForItem((reply) => reply.causationId === command.messageId, {
      description: `a reply to ${command.name} (${command.messageId})`,
      ...options,
    });
  }

  /** Every reply to this saga so far. */
  forSaga(sagaId: string): ReplyEnvelope[] {
    return this.spy.items.filter((reply) => reply.sagaId === sagaId);
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }
}

import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  ack,
  type CommandEnvelope,
  type CommandKeys,
  createReplyEnvelope,
  type Envelope,
  envelopeMessage,
  type HandlerResult,
  type OutboxMessage,
  OutboxRelay,
  type OutboxRow,
  poison,
  type ReceivedMessage,
  retryLater,
  SqsConsumer,
  verifyEnvelopeSignature,
} from "@sagaworks/messaging";
import {
  activeTraceparent,
  contextFromTraceparent,
  inSpan,
  type Knex,
  type Logger,
  runMigrations,
  SpanAttribute,
  SpanKind,
} from "@sagaworks/platform";
import { commandQueueName, replyQueueName } from "@sagaworks/topology";
import type { z } from "zod";
import { ParticipantErrorCode, ParticipantErrors, PoisonError, RetryLaterError } from "./errors.ts";
import { PARTICIPANT_MIGRATIONS_TABLE, participantMigrations } from "./migrations.ts";
import { type CommandOutcome, ParticipantMetrics } from "./participant-metrics.ts";
import {
  type ParticipantOptions,
  type ResolvedParticipantOptions,
  resolveParticipantOptions,
} from "./participant-options.ts";
import {
  claimCommand,
  leaveGuard,
  OUTBOX_TABLE,
  participantOutboxStore,
  readSeen,
  writeReply,
} from "./participant-store.ts";

/** A reply: its name (from the contract) and payload. Business failures are replies too. */
export interface Reply {
  name: string;
  payload: Record<string, unknown>;
}

/** What a handler gets: the transaction its business change must use, and the command. */
export interface HandlerContext<Payload> {
  /** The local transaction that also records the inbox row and the reply's outbox row. */
  trx: Knex.Transaction;
  payload: Payload;
  command: CommandEnvelope;
  /**
   * For a compensation: false when the action it undoes never ran here. A guard is then left so
   * that the action, should it arrive late, is refused; the compensation has nothing to undo.
   * Always true for an action.
   */
  actionApplied: boolean;
  logger: Logger;
}

/** A command handler: the payload's zod schema and the function that applies it. */
export interface CommandHandler<Schema extends z.ZodType = z.ZodType> {
  payload: Schema;
  handle(context: HandlerContext<z.infer<Schema>>): Promise<Reply>;
}

/** Reply name of a technical failure that the participant reports instead of a business reply. */
export const COMMAND_FAILED = "CommandFailed";

/**
 * A technical failure reported as a reply, e.g. `failed("ACCOUNT_NOT_FOUND", "…")`. The
 * orchestrator matches `code` against the step's `nonRetryable` list: listed codes fail the step
 * at once, others are retried with backoff. Use replies from the contract for business outcomes.
 */
export function failed(code: string, message: string): Reply {
  return { name: COMMAND_FAILED, payload: { code, message } };
}

/**
 * A reply checked against its contract schema. A handler bug then throws inside the transaction
 * (which rolls back, and the command is delivered again) instead of sending a reply the
 * orchestrator cannot read.
 */
export function contractReply<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
  payload: z.input<Schema>,
): Reply {
  return { name, payload: schema.parse(payload) as Record<string, unknown> };
}

/** Declares a handler; the schema types the payload the function receives. */
export function defineHandler<Schema extends z.ZodType>(
  payload: Schema,
  handle: (context: HandlerContext<z.infer<Schema>>) => Promise<Reply>,
): CommandHandler<Schema> {
  return { payload, handle };
}

/** Counters of what the participant did. */
export interface ParticipantStats {
  handled: number;
  duplicates: number;
  refusedByGuard: number;
  guardsLeft: number;
  /** Commands refused because their signature is missing or wrong. */
  refusedUnsigned: number;
}

/**
 * A service's part in sagas. For each command it: checks the payload against the handler's
 * schema (poison if it does not match), deduplicates by idempotency key in an inbox row, runs
 * the handler, and writes the reply to an outbox, all in one local transaction; the reply is
 * sent after the commit. A duplicate command gets the stored reply again, with no second
 * effect. A compensation that arrives before its action leaves a guard, and the late action is
 * refused: the guard is an inbox row under the compensation's `actionKey`, the idempotency key
 * of the action it undoes.
 */
export class Participant {
  readonly stats: ParticipantStats = {
    handled: 0,
    duplicates: 0,
    refusedByGuard: 0,
    guardsLeft: 0,
    refusedUnsigned: 0,
  };
  readonly relay: OutboxRelay;
  private readonly options: ResolvedParticipantOptions;
  private readonly consumer: SqsConsumer<Envelope>;
  private replyQueueUrl: string | undefined;
  private readonly commandKeys: CommandKeys;
  private readonly clock: () => Date;
  private readonly metrics: ParticipantMetrics | undefined;

  constructor(input: ParticipantOptions, commandQueueUrl: string) {
    const options = resolveParticipantOptions(input);
    this.options = options;
    this.metrics = options.metrics
      ? new ParticipantMetrics(options.metrics, options.service, options.db)
      : undefined;
    this.clock = options.clock;
    this.commandKeys = options.commandKeys;
    this.relay = new OutboxRelay({
      store: participantOutboxStore(options.db),
      // Only names the table in the relay's logs; the rows are reached through the store.
      table: OUTBOX_TABLE,
      sqs: options.sqs,
      logger: options.logger,
      clock: options.clock,
    });
    this.consumer = new SqsConsumer<Envelope>({
      sqs: options.sqs,
      queueUrl: commandQueueUrl,
      logger: options.logger,
      concurrency: options.concurrency,
      waitTimeSeconds: options.waitTimeSeconds,
      maxReceiveCount: options.maxReceiveCount,
      metrics: options.metrics,
      handler: (delivery) => this.handle(delivery),
    });
  }

  /** Starts taking commands and sending replies. */
  start(): void {
    this.relay.start();
    this.consumer.start();
  }

  /**
   * Stops taking commands, lets the ones in flight finish (their SQS messages are deleted only
   * after their transaction committed), then sends the replies still in the outbox.
   */
  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.relay.stop();
  }

  /** Handles one delivery; exported through the class for tests that feed envelopes directly. */
  handle(delivery: ReceivedMessage<Envelope>): Promise<HandlerResult> {
    const command = delivery.body;
    return inSpan(
      `saga.handle ${command.name}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(command.trace.traceparent, command.trace.tracestate),
        attributes: {
          [SpanAttribute.sagaId]: command.sagaId,
          [SpanAttribute.sagaName]: command.sagaName,
          ...(command.kind === "command"
            ? {
                [SpanAttribute.step]: command.step,
                [SpanAttribute.attempt]: command.attempt,
                [SpanAttribute.compensation]: command.compensation,
              }
            : {}),
          [SpanAttribute.messageName]: command.name,
          "saga.service": this.options.service,
        },
      },
      () => this.measured(delivery),
    );
  }

  private async measured(delivery: ReceivedMessage<Envelope>): Promise<HandlerResult> {
    if (!this.metrics) return this.handleCommand(delivery, { outcome: "replied" });
    const started = performance.now();
    const note: { outcome: CommandOutcome } = { outcome: "error" };
    try {
      const result = await this.handleCommand(delivery, note);
      if (result.type === "poison") note.outcome = "poison";
      else if (result.type === "retry-later") note.outcome = "retry";
      return result;
    } finally {
      // Only names this service handles become label values: anyone who can write to the queue
      // could otherwise create a series per made-up name.
      const name = delivery.body.name;
      const command = Object.hasOwn(this.options.handlers, name) ? name : "(unknown)";
      this.metrics.handled(command, note.outcome, (performance.now() - started) / 1000);
    }
  }

  private async handleCommand(
    delivery: ReceivedMessage<Envelope>,
    note: { outcome: CommandOutcome },
  ): Promise<HandlerResult> {
    const command = delivery.body;
    const { service, logger } = this.options;
    if (command.kind !== "command") {
      return poison(`${service} takes commands; got a ${command.kind} named ${command.name}`);
    }
    // Proof of origin before anything else: whoever can write to the queue must not be able to
    // make the service act (issue 16). Checked over the whole envelope, so replyTo, the saga and
    // the idempotency key cannot be altered either.
    const forged = verifyEnvelopeSignature(command, this.commandKeys);
    if (forged) {
      this.stats.refusedUnsigned++;
      logger.warn(
        { sagaId: command.sagaId, command: command.name, messageId: command.messageId },
        `command refused: ${forged}`,
      );
      return poison(`${command.name} refused: ${forged}`);
    }
    const handler = this.options.handlers[command.name];
    if (!handler) {
      return poison(
        `${service} has no handler for ${command.name}; it handles ${Object.keys(this.options.handlers).join(", ")}`,
      );
    }
    const parsed = handler.payload.safeParse(command.payload);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `payload.${i.path.join(".")}: ${i.message}`)
        .join("; ");
      return poison(`${command.name} payload is invalid: ${issues}`);
    }
    const key = command.idempotencyKey;
    let replyUrl: string;
    try {
      replyUrl = await this.replyUrl();
    } catch (error) {
      // Warn, with the ids: retried at info level, this went on silently until the DLQ.
      logger.warn(
        {
          sagaId: command.sagaId,
          step: command.step,
          command: command.name,
          messageId: command.messageId,
          replyQueue: replyQueueName(this.options.prefix),
          receiveCount: delivery.receiveCount,
          lastDeliveryBeforeDlq:
            this.options.maxReceiveCount !== undefined &&
            delivery.receiveCount >= this.options.maxReceiveCount,
          err: error,
        },
        "reply queue not reachable: the command is not run and will be retried",
      );
      return retryLater(
        10,
        `reply queue ${replyQueueName(this.options.prefix)} is not reachable: ${(error as Error).message}`,
      );
    }
    // sagaId, saga, step, attempt and traceId come from the saga context the consumer set.
    const log = logger.child({ command: command.name });
    // Replies already sent are deleted by this transaction, which saves the relay a commit.
    const { handOff } = this.relay;
    const knex = this.options.db.knex;
    try {
      const work = async (
        trx: Knex.Transaction,
        sentIds: readonly string[],
      ): Promise<OutboxRow[]> => {
        const now = this.clock();
        // The sent replies go in the claim's statement, which every path runs.
        const claimed = await claimCommand(
          trx,
          { idempotencyKey: key, command: command.name, sagaId: command.sagaId, now },
          sentIds,
        );
        if (!claimed) {
          // Seen before. The unique key made a concurrent copy wait for the first to commit.
          const seen = await readSeen(trx, key);
          if (seen.guarded) {
            this.stats.refusedByGuard++;
            note.outcome = "refused";
            log.warn("late action refused: its compensation already ran");
            return [];
          }
          this.stats.duplicates++;
          note.outcome = "duplicate";
          log.info("duplicate command: sending the stored reply again");
          return this.storeReply(trx, command, replyUrl, {
            name: seen.replyName,
            payload: seen.replyPayload,
          });
        }
        let actionApplied = true;
        if (command.compensation) {
          const guardLeft = await leaveGuard(trx, {
            actionKey: command.actionKey,
            compensation: command.name,
            sagaId: command.sagaId,
            now,
          });
          actionApplied = !guardLeft;
          if (guardLeft) {
            this.stats.guardsLeft++;
            log.info("compensation before its action: guard left");
          }
        }
        const reply = await handler.handle({
          trx,
          payload: parsed.data,
          command,
          actionApplied,
          logger: log,
        });
        this.stats.handled++;
        note.outcome = "replied";
        // The inbox row keeps the reply for duplicates, in the reply's own statement.
        return this.storeReply(trx, command, replyUrl, reply, key);
      };
      const written = await handOff.transactionDeletingIn(knex, work);
      this.relay.notify(written);
      return ack();
    } catch (error) {
      if (error instanceof RetryLaterError) return retryLater(error.delaySeconds, error.message);
      if (error instanceof PoisonError) return poison(error.message);
      throw error;
    }
  }

  /** Builds the reply's envelope (the handler's trace) and writes it to the outbox in `trx`. */
  private async storeReply(
    trx: Knex,
    command: CommandEnvelope,
    replyUrl: string,
    reply: Reply,
    /** The inbox key to mark replied with this reply, in the same statement (one round trip). */
    repliedKey?: string,
  ): Promise<OutboxRow[]> {
    const envelope = createReplyEnvelope(
      {
        name: reply.name,
        sagaId: command.sagaId,
        sagaName: command.sagaName,
        sagaVersion: command.sagaVersion,
        step: command.step,
        attempt: command.attempt,
        compensation: command.compensation,
        causationId: command.messageId,
        payload: reply.payload,
        // The handler's span, when tracing is on: the orchestrator's reply span is its child.
        trace: traceOfReply(command),
      },
      this.clock,
    );
    const message: OutboxMessage = { transport: "sqs", ...envelopeMessage(envelope) };
    return writeReply(trx, {
      destination: replyUrl,
      message,
      now: this.clock(),
      replied:
        repliedKey === undefined
          ? undefined
          : { idempotencyKey: repliedKey, name: reply.name, payload: reply.payload },
    });
  }

  /**
   * The orchestrator's reply queue of this environment (`<prefix>-saga-replies`). Replies go
   * there only: a command's `replyTo` is never used as an address, so a message cannot make the
   * service send data wherever it names.
   */
  private async replyUrl(): Promise<string> {
    if (!this.replyQueueUrl) {
      const queueName = replyQueueName(this.options.prefix);
      const url = (await this.options.sqs.send(new GetQueueUrlCommand({ QueueName: queueName })))
        .QueueUrl;
      if (!url) throw new Error(`no queue named ${queueName}`);
      this.replyQueueUrl = url;
    }
    return this.replyQueueUrl;
  }
}

/**
 * Creates a participant: adds the SDK's tables to the service's schema and finds its command
 * queue (the topology must exist; `topology apply` or the orchestrator creates it). Call
 * `start()` to begin.
 */
export async function createParticipant(options: ParticipantOptions): Promise<Participant> {
  await runMigrations(options.db, participantMigrations, { table: PARTICIPANT_MIGRATIONS_TABLE });
  const queueName = commandQueueName(options.prefix, options.service);
  let url: string | undefined;
  try {
    url = (await options.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
  } catch (cause) {
    throw ParticipantErrors.create(
      ParticipantErrorCode.queueMissing,
      `The command queue ${queueName} is not reachable (${(cause as Error).message}). Apply the topology first (pnpm topology apply, or start the orchestrator), and check SAGAWORKS_ENV_PREFIX.`,
      { queueName },
      { cause },
    );
  }
  return new Participant(options, url ?? "");
}

/** The trace context a reply carries: the active span's (the handler's), else the command's. */
function traceOfReply(command: CommandEnvelope): CommandEnvelope["trace"] {
  const traceparent = activeTraceparent();
  return traceparent ? { traceparent } : command.trace;
}

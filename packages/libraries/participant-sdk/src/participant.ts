import { GetQueueUrlCommand, QueueDoesNotExist } from "@aws-sdk/client-sqs";
import {
  ack,
  CHAIN_FORWARD_MAX_BYTES,
  type CommandEnvelope,
  type CommandKeys,
  type Envelope,
  envelopeMessage,
  type HandlerResult,
  messageSizeBytes,
  nextInChain,
  type OutboxMessage,
  OutboxRelay,
  type OutboxRow,
  poison,
  type ReceivedMessage,
  type ReplyEnvelope,
  receiveSpan,
  repliesCarried,
  replyToCommand,
  retryLater,
  SqsConsumer,
  signEnvelope,
  signedMessageStaleness,
  verifyEnvelopeSignature,
} from "@sagaworks/messaging";
import {
  activeTraceparent,
  inSpan,
  type Knex,
  type Logger,
  runMigrations,
} from "@sagaworks/platform";
import { commandQueueName, replyQueueName } from "@sagaworks/topology";
import { ParticipantErrorCode, ParticipantErrors, PoisonError, RetryLaterError } from "./errors.ts";
import {
  COMMAND_FAILED,
  type CommandHandler,
  type Reply,
  type StatementHandler,
  type TransactionHandler,
} from "./handler.ts";
import { PARTICIPANT_MIGRATIONS_TABLE, participantMigrations } from "./migrations.ts";
import { type CommandOutcome, ParticipantMetrics } from "./participant-metrics.ts";
import {
  type ParticipantOptions,
  type ResolvedParticipantOptions,
  resolveParticipantOptions,
} from "./participant-options.ts";
import {
  claimCommand,
  keepAsFailedAttempt,
  leaveGuard,
  OUTBOX_TABLE,
  participantOutboxStore,
  readAnswered,
  readFailedAttempt,
  readSeen,
  releaseClaim,
  runReplyStatement,
  writeReply,
} from "./participant-store.ts";

/** A command that passed the checks, on its way to its handler. */
interface CommandWork {
  command: CommandEnvelope;
  handler: CommandHandler;
  payload: unknown;
  replyUrl: string;
  /** The command queue of a chained command's next link, when the command has a chain. */
  nextUrl: string | undefined;
  note: { outcome: CommandOutcome };
  /** The command's logger, made on first use (see handleCommand). */
  log: () => Logger;
}

/** Counters of what the participant did. */
export interface ParticipantStats {
  handled: number;
  duplicates: number;
  refusedByGuard: number;
  guardsLeft: number;
  /** Commands refused because their signature is missing or wrong. */
  refusedUnsigned: number;
  /** Signed commands refused because they are too old (or dated too far ahead) to be genuine. */
  refusedStale: number;
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
    refusedStale: 0,
  };
  readonly relay: OutboxRelay;
  private readonly options: ResolvedParticipantOptions;
  private readonly consumer: SqsConsumer<Envelope>;
  /** Queue URLs by name (the reply queue, the command queues chains name), found once each. */
  private readonly queueUrls = new Map<string, string>();
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
      store: participantOutboxStore(options.db, options.replyKey),
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
      receiveSpan(command, { "saga.service": this.options.service }),
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
    const admitted = this.admit(delivery.body);
    if ("refused" in admitted) return admitted.refused;
    const replyUrl = await this.replyUrlOrRetry(delivery);
    if (typeof replyUrl !== "string") return replyUrl;
    const nextUrl = await this.nextUrlOrRetry(admitted.command);
    if (nextUrl !== undefined && typeof nextUrl !== "string") return nextUrl;
    // sagaId, saga, step, attempt and traceId come from the saga context the consumer set.
    // A child logger costs microseconds to make (pino serialises its bindings) and a command
    // applied as it should be logs nothing here, so it is made when something is logged.
    let log: Logger | undefined;
    const work: CommandWork = {
      ...admitted,
      replyUrl,
      nextUrl,
      note,
      log: () => {
        log ??= this.options.logger.child({ command: admitted.command.name });
        return log;
      },
    };
    try {
      const written =
        work.handler.kind === "statement"
          ? await this.applyAsStatement(work, work.handler)
          : await this.applyInTransaction(work, work.handler);
      this.relay.notify(written);
      return ack();
    } catch (error) {
      if (error instanceof RetryLaterError) return retryLater(error.delaySeconds, error.message);
      if (error instanceof PoisonError) return poison(error.message);
      throw error;
    }
  }

  /**
   * The checks before anything is written: a signed, fresh command this service handles, with a
   * payload its handler's schema accepts. A refusal is poison: no redelivery can make it pass.
   */
  private admit(
    envelope: Envelope,
  ): { refused: HandlerResult } | Pick<CommandWork, "command" | "handler" | "payload"> {
    const { service, logger } = this.options;
    if (envelope.kind !== "command") {
      return {
        refused: poison(`${service} takes commands; got a ${envelope.kind} named ${envelope.name}`),
      };
    }
    const command = envelope;
    const ids = { sagaId: command.sagaId, command: command.name, messageId: command.messageId };
    // Proof of origin before anything else: whoever can write to the queue must not be able to
    // make the service act. Checked over the whole envelope, so replyTo, the saga and the
    // idempotency key cannot be altered either.
    const forged = verifyEnvelopeSignature(command, this.commandKeys);
    if (forged) {
      this.stats.refusedUnsigned++;
      logger.warn(ids, `command refused: ${forged}`);
      return { refused: poison(`${command.name} refused: ${forged}`) };
    }
    // Then its age, which the signature vouches for: a command captured and sent again after
    // the inbox forgot it would otherwise run a second time.
    const stale = signedMessageStaleness(command.sentAt, this.clock());
    if (stale) {
      this.stats.refusedStale++;
      logger.warn(ids, `command refused: ${stale}`);
      return { refused: poison(`${command.name} refused: ${stale}`) };
    }
    const handler = this.options.handlers[command.name];
    if (!handler) {
      const handled = Object.keys(this.options.handlers).join(", ");
      return {
        refused: poison(`${service} has no handler for ${command.name}; it handles ${handled}`),
      };
    }
    const parsed = handler.payload.safeParse(command.payload);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `payload.${i.path.join(".")}: ${i.message}`)
        .join("; ");
      return { refused: poison(`${command.name} payload is invalid: ${issues}`) };
    }
    return { command, handler, payload: parsed.data };
  }

  /** The reply queue's URL, or a retry-later when it cannot be found (the command is not run). */
  private async replyUrlOrRetry(
    delivery: ReceivedMessage<Envelope>,
  ): Promise<string | HandlerResult> {
    try {
      return await this.replyUrl();
    } catch (error) {
      const command = delivery.body;
      const queue = replyQueueName(this.options.prefix);
      // Warn, with the ids: retried at info level, this went on silently until the DLQ.
      this.options.logger.warn(
        {
          sagaId: command.sagaId,
          step: command.kind === "command" ? command.step : undefined,
          command: command.name,
          messageId: command.messageId,
          replyQueue: queue,
          receiveCount: delivery.receiveCount,
          lastDeliveryBeforeDlq:
            this.options.maxReceiveCount !== undefined &&
            delivery.receiveCount >= this.options.maxReceiveCount,
          err: error,
        },
        "reply queue not reachable: the command is not run and will be retried",
      );
      return retryLater(10, `reply queue ${queue} is not reachable: ${(error as Error).message}`);
    }
  }

  /**
   * A statement handler's command: business write, reply and inbox row in one statement. When
   * the key is taken, nothing of it committed, and the stored answer decides:
   * a guard refuses the command, a reply (or this attempt's failure) is sent again.
   */
  private async applyAsStatement(
    work: CommandWork,
    handler: StatementHandler,
  ): Promise<OutboxRow[]> {
    const { command, replyUrl, note, log } = work;
    const statement = handler.statement({ payload: work.payload, command });
    // Name and payload are the statement's to fill in; the placeholder only passes validation.
    const envelope = this.replyEnvelope(command, { name: "Reply", payload: {} });
    const { handOff } = this.relay;
    const knex = this.options.db.knex;
    const outcome = await handOff.statementDeletingIn(async (sentIds) => {
      const result = await runReplyStatement(this.options.db.statement, {
        statement,
        sentIds,
        idempotencyKey: command.idempotencyKey,
        attempt: command.attempt,
        command: command.name,
        sagaId: command.sagaId,
        destination: replyUrl,
        envelope,
        now: this.clock(),
      });
      // Rolled back with the rest: the sent rows wait for the next statement.
      if (result.type === "taken") handOff.giveBack(sentIds);
      return result;
    });
    if (outcome.type === "written") {
      this.stats.handled++;
      note.outcome = "replied";
      const reply = { ...envelope, ...outcome.reply };
      const signed = signEnvelope(reply, this.options.replyKey);
      const message: OutboxMessage = { transport: "sqs", ...envelopeMessage(signed) };
      const row: OutboxRow = {
        id: outcome.outboxId,
        kind: "sqs",
        destination: replyUrl,
        message,
        attempts: 0,
      };
      return [this.onAlongChain(row, work, reply, signed)];
    }
    const answered = await readAnswered(knex, command.idempotencyKey, command.attempt);
    if (!answered) {
      // Taken, then pruned before this read: the command is older than the retention allows.
      throw new RetryLaterError(
        `${command.name} ${command.idempotencyKey} was answered but its reply is gone`,
        5,
      );
    }
    if (answered.guarded) {
      this.refusedByGuard(note, log);
      return [];
    }
    this.countDuplicate(note, log, "duplicate command: sending the stored reply again");
    return handOff.statementDeletingIn((sentIds) =>
      this.storeReply(knex, work, answered.reply, undefined, sentIds),
    );
  }

  /**
   * A transaction handler's command: claim in the inbox, guard for a compensation, handler,
   * reply; one local transaction. Replies already sent are deleted by it, which saves the relay
   * a commit.
   */
  private applyInTransaction(work: CommandWork, handler: TransactionHandler): Promise<OutboxRow[]> {
    const { command, note, log } = work;
    const key = command.idempotencyKey;
    return this.relay.handOff.transactionDeletingIn(this.options.db.knex, async (trx, sentIds) => {
      const now = this.clock();
      // The sent replies go in the claim's statement, which every path runs.
      const claim = { idempotencyKey: key, command: command.name, sagaId: command.sagaId, now };
      if (!(await claimCommand(trx, claim, sentIds))) {
        // Seen before. The unique key made a concurrent copy wait for the first to commit.
        const seen = await readSeen(trx, key);
        if (seen.guarded) {
          this.refusedByGuard(note, log);
          return [];
        }
        this.countDuplicate(note, log, "duplicate command: sending the stored reply again");
        const stored = { name: seen.replyName, payload: seen.replyPayload };
        return this.storeReply(trx, work, stored);
      }
      // This attempt answered with a retriable failure before (a redelivery of it): the
      // same answer again. Only a later attempt runs the handler again.
      const failedBefore = await readFailedAttempt(trx, key, command.attempt);
      if (failedBefore) {
        await releaseClaim(trx, key);
        this.countDuplicate(note, log, "duplicate of a failed attempt: sending its failure again");
        return this.storeReply(trx, work, failedBefore);
      }
      const actionApplied = await this.guardIfEarly(trx, command, now, log);
      const reply = await handler.handle({
        trx,
        payload: work.payload,
        command,
        actionApplied,
        logger: log(),
      });
      this.stats.handled++;
      note.outcome = "replied";
      if (reply.name === COMMAND_FAILED) {
        // A retriable failure: kept for redeliveries of this attempt only, so that the
        // orchestrator's next attempt (its backoff, or an operator's retry) runs the handler.
        await keepAsFailedAttempt(trx, key, command.attempt, reply);
        return this.storeReply(trx, work, reply);
      }
      // The inbox row keeps the reply for duplicates, in the reply's own statement.
      return this.storeReply(trx, work, reply, key);
    });
  }

  /**
   * For a compensation whose action the orchestrator does not know to have run: leaves a guard
   * under the action's key, before the handler decides anything, and says whether the action ran
   * here. The orchestrator's word that the action ran (it got its success reply) needs no
   * guard, whatever this inbox still remembers; its row may be gone past the retention window.
   */
  private async guardIfEarly(
    trx: Knex.Transaction,
    command: CommandEnvelope,
    now: Date,
    log: () => Logger,
  ): Promise<boolean> {
    if (!command.compensation || command.actionApplied === true) return true;
    const guard = await leaveGuard(trx, {
      actionKey: command.actionKey,
      compensation: command.name,
      sagaId: command.sagaId,
      now,
    });
    if (guard === "left") {
      this.stats.guardsLeft++;
      log().info("compensation before its action: guard left");
    }
    return guard === "applied";
  }

  private refusedByGuard(note: { outcome: CommandOutcome }, log: () => Logger): void {
    this.stats.refusedByGuard++;
    note.outcome = "refused";
    log().warn("late action refused: its compensation already ran");
  }

  private countDuplicate(
    note: { outcome: CommandOutcome },
    log: () => Logger,
    message: string,
  ): void {
    this.stats.duplicates++;
    note.outcome = "duplicate";
    log().info(message);
  }

  /**
   * The reply's envelope, unsigned, with the handler's trace. Signed with this participant's
   * own key before it is sent: the orchestrator checks it with the key of the participant that
   * owns the step, so no one else can answer in this service's name.
   */
  private replyEnvelope(command: CommandEnvelope, reply: Reply): ReplyEnvelope {
    const envelope = replyToCommand(
      command,
      {
        name: reply.name,
        payload: reply.payload,
        // The handler's span, when tracing is on: the orchestrator's reply span is its child.
        trace: traceOfReply(command),
      },
      this.clock,
    );
    // In a chain, the answers of the links before this one go back with it.
    const carried = repliesCarried(command);
    return carried ? { ...envelope, carried } : envelope;
  }

  /**
   * What the relay sends now for a reply to a chained command: the next link's command, signed
   * with the command key, when the reply is one that link waits for; else the row as written.
   * The row in the outbox table keeps the reply itself: should this process stop before
   * sending, the reply goes to the orchestrator, which then sends the next command on its own
   * (the same message id and key, so the chain can never run a step twice).
   */
  private onAlongChain(
    row: OutboxRow,
    work: CommandWork,
    reply: ReplyEnvelope,
    signed: ReplyEnvelope,
  ): OutboxRow {
    if (work.nextUrl === undefined) return row;
    // The answer travels on without the earlier ones: signed anew only when it carries some.
    const { carried: _earlier, signature: _signature, ...own } = reply;
    const ownSigned = reply.carried ? signEnvelope(own, this.options.replyKey) : signed;
    const next = nextInChain(work.command, ownSigned, this.clock);
    if (!next) return row;
    const command = signEnvelope(next.command, this.commandKeys);
    const outgoing = envelopeMessage(command);
    const size = messageSizeBytes(outgoing.body, outgoing.attributes);
    if (size > CHAIN_FORWARD_MAX_BYTES) {
      work
        .log()
        .info(
          { bytes: size, limit: CHAIN_FORWARD_MAX_BYTES, next: next.command.name },
          "the chain's next command would be too large to forward: answering the orchestrator, which sends it",
        );
      return row;
    }
    const message: OutboxMessage = { transport: "sqs", ...outgoing };
    return { ...row, destination: work.nextUrl, message };
  }

  /** Builds the reply's signed envelope and writes it to the outbox through `db`. */
  private async storeReply(
    db: Knex,
    work: CommandWork,
    reply: Reply,
    /** The inbox key to mark replied with this reply, in the same statement (one round trip). */
    repliedKey?: string,
    /** Rows the relay sent, deleted in the same statement (outside a claim's transaction). */
    sentIds?: readonly string[],
  ): Promise<OutboxRow[]> {
    const { command, replyUrl } = work;
    const unsigned = this.replyEnvelope(command, reply);
    const envelope = signEnvelope(unsigned, this.options.replyKey);
    const message: OutboxMessage = { transport: "sqs", ...envelopeMessage(envelope) };
    const rows = await writeReply(db, {
      destination: replyUrl,
      message,
      now: this.clock(),
      sentIds,
      replied:
        repliedKey === undefined
          ? undefined
          : { idempotencyKey: repliedKey, name: reply.name, payload: reply.payload },
    });
    return rows.map((row) => this.onAlongChain(row, work, unsigned, envelope));
  }

  /**
   * The command queue of a chained command's next link (`<prefix>-<service>-commands`),
   * undefined when the command has no chain, or a retry-later when it cannot be found. Found by
   * the link's service, never by an address in the message, as the reply queue is.
   */
  private async nextUrlOrRetry(
    command: CommandEnvelope,
  ): Promise<string | HandlerResult | undefined> {
    const link = command.compensation ? undefined : command.chain?.[0];
    if (!link) return undefined;
    const queueName = commandQueueName(this.options.prefix, link.service);
    try {
      return await this.queueUrl(queueName);
    } catch (error) {
      this.options.logger.warn(
        { sagaId: command.sagaId, command: command.name, queue: queueName, err: error },
        "the next link's command queue is not reachable: the command is not run and will be retried",
      );
      return retryLater(
        10,
        `command queue ${queueName} is not reachable: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The orchestrator's reply queue of this environment (`<prefix>-saga-replies`). Replies go
   * there only: a command's `replyTo` is never used as an address, so a message cannot make the
   * service send data wherever it names.
   */
  private replyUrl(): Promise<string> {
    return this.queueUrl(replyQueueName(this.options.prefix));
  }

  /** A queue's URL, asked of the broker once per queue. */
  private async queueUrl(queueName: string): Promise<string> {
    const cached = this.queueUrls.get(queueName);
    if (cached) return cached;
    const url = (await this.options.sqs.send(new GetQueueUrlCommand({ QueueName: queueName })))
      .QueueUrl;
    if (!url) {
      throw ParticipantErrors.create(
        ParticipantErrorCode.queueMissing,
        `the broker returned no URL for the queue ${queueName}`,
        { queue: queueName },
      );
    }
    this.queueUrls.set(queueName, url);
    return url;
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
    // Only the broker saying the queue does not exist calls for the topology; a broker that is
    // down or answering 5xx calls for waiting, and the error keeps its cause so it is waited out.
    if (cause instanceof QueueDoesNotExist || (cause as Error).name === "QueueDoesNotExist") {
      throw ParticipantErrors.create(
        ParticipantErrorCode.queueMissing,
        `The command queue ${queueName} does not exist. Apply the topology first (pnpm topology apply, or start the orchestrator), and check SAGAWORKS_ENV_PREFIX.`,
        { queueName },
        { cause },
      );
    }
    throw ParticipantErrors.create(
      ParticipantErrorCode.brokerUnavailable,
      `The broker did not answer the lookup of the command queue ${queueName} (${(cause as Error).message}). Check AWS_ENDPOINT_URL and that the broker is up.`,
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

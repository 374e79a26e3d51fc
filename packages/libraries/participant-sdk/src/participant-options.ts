import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type CommandKeys,
  DEV_COMMAND_KEY,
  devReplyKey,
  type SigningKeys,
} from "@sagaworks/messaging";
import type { Database, Logger, MetricsRegistry } from "@sagaworks/platform";
import type { CommandHandler } from "./handler.ts";

/** Options of {@link createParticipant}. */
export interface ParticipantOptions {
  /** The service's name in the topology; its command queue is `<prefix>-<service>-commands`. */
  service: string;
  prefix: string;
  /** The service's own database (its own schema); the SDK adds its inbox and outbox there. */
  db: Database;
  sqs: SQSClient;
  logger: Logger;
  /** One handler per command name the service accepts. */
  handlers: Readonly<Record<string, CommandHandler>>;
  /** Commands handled at once; defaults to 10. */
  concurrency?: number | undefined;
  /** Long-poll wait; defaults to 20 s. */
  waitTimeSeconds?: number | undefined;
  /**
   * The queue's maxReceiveCount, for the last-delivery warning; defaults to none (the consumer
   * then reads it from the queue's redrive policy when it needs it).
   */
  maxReceiveCount?: number | undefined;
  /**
   * Keys that verify a command's signature (shared with the orchestrator); an unsigned or
   * forged command goes to the DLQ unhandled. Defaults to the development key
   * (`DEV_COMMAND_KEY`); processes pass the configured ones.
   */
  commandKeys?: CommandKeys | undefined;
  /**
   * This participant's own reply key (`current` signs every reply; the orchestrator holds the
   * same key under the service's name). Defaults to the service's development key
   * (`devReplyKey(service)`); processes pass the configured one.
   */
  replyKey?: SigningKeys | undefined;
  /** Defaults to the wall clock. */
  clock?: (() => Date) | undefined;
  /**
   * The process's Prometheus registry: commands, handler duration, duplicates, reply lag.
   * Defaults to none: nothing is counted.
   */
  metrics?: MetricsRegistry | undefined;
}

/** The defaults of {@link ParticipantOptions}, for callers that pass them on (service-kit). */
export const PARTICIPANT_DEFAULTS = { concurrency: 10, waitTimeSeconds: 20 } as const;

/** The consumer settings and keys every participant has, with their defaults applied. */
export interface ParticipantTuning {
  concurrency: number;
  waitTimeSeconds: number;
  commandKeys: CommandKeys;
}

/**
 * The one place these defaults are filled: the participant's own options and the services that
 * pass them on both call it, so the two cannot drift.
 */
export function resolveParticipantTuning(
  options: Pick<ParticipantOptions, "concurrency" | "waitTimeSeconds" | "commandKeys">,
): ParticipantTuning {
  return {
    concurrency: options.concurrency ?? PARTICIPANT_DEFAULTS.concurrency,
    waitTimeSeconds: options.waitTimeSeconds ?? PARTICIPANT_DEFAULTS.waitTimeSeconds,
    commandKeys: options.commandKeys ?? { current: DEV_COMMAND_KEY },
  };
}

/**
 * {@link ParticipantOptions} with every default applied. `maxReceiveCount` and `metrics` stay
 * optional in meaning: undefined says "none", and is written out so every key is present.
 */
export interface ResolvedParticipantOptions {
  service: string;
  prefix: string;
  db: Database;
  sqs: SQSClient;
  logger: Logger;
  handlers: Readonly<Record<string, CommandHandler>>;
  concurrency: number;
  waitTimeSeconds: number;
  maxReceiveCount: number | undefined;
  commandKeys: CommandKeys;
  replyKey: SigningKeys;
  clock: () => Date;
  metrics: MetricsRegistry | undefined;
}

/** Applies the defaults once; an explicit `undefined` means the default too. */
export function resolveParticipantOptions(options: ParticipantOptions): ResolvedParticipantOptions {
  return {
    service: options.service,
    prefix: options.prefix,
    db: options.db,
    sqs: options.sqs,
    logger: options.logger,
    handlers: options.handlers,
    ...resolveParticipantTuning(options),
    replyKey: options.replyKey ?? { current: devReplyKey(options.service) },
    maxReceiveCount: options.maxReceiveCount,
    clock: options.clock ?? (() => new Date()),
    metrics: options.metrics,
  };
}

// The AWS limits a saga definition can run into, and where each one applies. Everything the
// validator checks against AWS reads its number from here, so a limit has one source.
//
// Limits that deliberately do NOT constrain a definition:
// - SQS DelaySeconds ≤ 15 min: retry delays, step timeouts and the saga timeout are timers stored
//   in Postgres and fired by the orchestrator's timer poller, never SQS delays, so a retry delay of
//   1 h is fine.
// - Visibility timeout ≤ 12 h: bounds how long a participant may hold one command message, which is
//   the participant's concern (it extends visibility while it works), not the step's timeout.
// - 10 message attributes and batches of 10: set by the messaging package, not by definitions.

/** One KiB / MiB in bytes. */
const KIB = 1024;
const MIB = 1024 * KIB;

/** AWS limits that the validator enforces, with the reason each applies to a definition. */
export const AWS_LIMITS = {
  /** SQS maximum message size: a command (payload + envelope) travels as one SQS message. */
  sqsMessageBytes: 1 * MIB,
  /**
   * SNS maximum message size (256 KB = 262,144 bytes). Lifecycle events such as
   * `saga.step.completed` echo the command that was sent so subscribers can audit it, and they are
   * published to SNS, so a literal payload must fit here too.
   */
  snsMessageBytes: 256 * KIB,
  /**
   * Room kept for the envelope around a payload (ids, saga name, trace context, reply-to), so the
   * check on the literal payload leaves space for what the engine adds. 8 KiB is generous.
   */
  envelopeReserveBytes: 8 * KIB,
  /**
   * SQS maximum retention (14 days): a command left unread longer than this is deleted by SQS, so a
   * command step that waits longer for its reply could never complete.
   */
  sqsMaxRetentionMs: 14 * 24 * 60 * 60 * 1000,
} as const;

/** Limits of the engine itself (not AWS) that a definition must respect. */
export const ENGINE_LIMITS = {
  /** Timers are polled about once a second; shorter timeouts would fire late or spuriously. */
  minTimeoutMs: 1_000,
  /** Shortest retry delay: anything shorter hammers a failing participant. */
  minRetryDelayMs: 100,
  /** A synchronous HTTP step holds an orchestrator worker slot; longer work belongs in a command. */
  maxHttpTimeoutMs: 5 * 60 * 1000,
  /** A saga that runs for more than a year is a data model problem, not a timeout. */
  maxSagaTimeoutMs: 365 * 24 * 60 * 60 * 1000,
} as const;

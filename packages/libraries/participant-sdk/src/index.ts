export {
  type ParticipantError,
  ParticipantErrorCode,
  ParticipantErrors,
  PoisonError,
  RetryLaterError,
} from "./errors.ts";
export {
  COMMAND_FAILED,
  type CommandHandler,
  contractReply,
  defineHandler,
  defineStatementHandler,
  failed,
  failedPayloadSql,
  type HandlerContext,
  type Reply,
  type ReplyStatement,
  type SqlFragment,
  type StatementContext,
  type StatementHandler,
  sql,
  type TransactionHandler,
} from "./handler.ts";
export {
  DEFAULT_INBOX_RETENTION_MS,
  InboxRetention,
  type InboxRetentionOptions,
  LONGEST_REDELIVERY_MS,
} from "./inbox-retention.ts";
export { PARTICIPANT_MIGRATIONS_TABLE, participantMigrations } from "./migrations.ts";
export { createParticipant, Participant, type ParticipantStats } from "./participant.ts";
export {
  PARTICIPANT_DEFAULTS,
  type ParticipantOptions,
  type ParticipantTuning,
  type ResolvedParticipantOptions,
  resolveParticipantOptions,
  resolveParticipantTuning,
} from "./participant-options.ts";

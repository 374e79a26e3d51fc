export {
  type ParticipantError,
  ParticipantErrorCode,
  ParticipantErrors,
  PoisonError,
  RetryLaterError,
} from "./errors.ts";
export {
  DEFAULT_INBOX_RETENTION_MS,
  InboxRetention,
  type InboxRetentionOptions,
  LONGEST_REDELIVERY_MS,
} from "./inbox-retention.ts";
export { PARTICIPANT_MIGRATIONS_TABLE, participantMigrations } from "./migrations.ts";
export {
  COMMAND_FAILED,
  type CommandHandler,
  contractReply,
  createParticipant,
  defineHandler,
  failed,
  type HandlerContext,
  Participant,
  type ParticipantStats,
  type Reply,
} from "./participant.ts";
export {
  PARTICIPANT_DEFAULTS,
  type ParticipantOptions,
  type ParticipantTuning,
  type ResolvedParticipantOptions,
  resolveParticipantOptions,
  resolveParticipantTuning,
} from "./participant-options.ts";

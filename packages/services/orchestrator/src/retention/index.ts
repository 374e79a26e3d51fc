export {
  type ArchiveTarget,
  archiveObjectName,
  FolderArchive,
  openArchive,
  parseArchiveTarget,
  S3Archive,
  type SagaArchive,
} from "./archive.ts";
export { withArchivedSagas } from "./archived-sagas.ts";
export {
  type RetentionRoutesOptions,
  type RetentionSwitch,
  retentionRoutes,
} from "./retention-routes.ts";
export { type ArchivedRecord, archiveEntriesOf, NOT_ARCHIVED } from "./retention-store.ts";
export {
  DEFAULT_ARCHIVE_INDEX_RETENTION_MS,
  DEFAULT_REPLY_INBOX_RETENTION_MS,
  DEFAULT_SAGA_RETENTION_MS,
  type PruneSummary,
  SagaRetention,
  type SagaRetentionDeps,
  type SagaRetentionOptions,
} from "./saga-retention.ts";

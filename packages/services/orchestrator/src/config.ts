import { commandKeysConfigShape, replyKeyringConfigShape } from "@sagaworks/messaging";
import { baseConfigShape } from "@sagaworks/platform";
import { parseDuration } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { topologySettingsShape } from "@sagaworks/topology";
import { z } from "zod";
import { type ArchiveTarget, parseArchiveTarget } from "./retention/archive.ts";

/** Parses `name=url,name=url` into a map, naming the entry that is wrong. */
const serviceUrls = z
  .string()
  .default("")
  .transform((text, ctx) => {
    const urls: Record<string, string> = {};
    for (const entry of text
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean)) {
      const [name, url] = entry.split("=", 2);
      if (!name || !url || !URL.canParse(url)) {
        ctx.addIssue({ code: "custom", message: `"${entry}" is not service=http://host:port` });
        continue;
      }
      urls[name] = url;
    }
    return urls;
  });

/** The orchestrator process's environment. */
export const orchestratorConfigSchema = z.object({
  ...baseConfigShape,
  ...commandKeysConfigShape,
  ...replyKeyringConfigShape,
  /** Port of the API; defaults to 3000. */
  ORCHESTRATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Address the API binds to; defaults to 127.0.0.1. */
  ORCHESTRATOR_HOST: z.string().default("127.0.0.1"),
  /** Bearer token for starts and operator actions; required, at least 16 characters. */
  ORCHESTRATOR_API_TOKEN: z.string().min(16, "must be at least 16 characters"),
  /** Schema of the orchestrator's tables; defaults to `orchestrator`. */
  ORCHESTRATOR_DB_SCHEMA: z.string().default("orchestrator"),
  /** Folder of *.saga.json files; defaults to the repository's saga-definitions/. */
  SAGA_DEFINITIONS_DIR: z.string().default(sagaDefinitionsDir),
  /** Base URLs of services that HTTP steps call: `customer=http://127.0.0.1:3003`. */
  SERVICE_URLS: serviceUrls,
  /**
   * The services' SERVICE_WRITE_TOKEN, sent on every HTTP step so the services can require
   * tokens on reads too; defaults to the development token on the embedded default, else none.
   */
  SERVICE_WRITE_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * Milliseconds a start waits for its first step's answer when that step is a read-only HTTP
   * call, to commit the saga with the answer applied; defaults to 1000, 0 turns it off (every
   * call then goes through the outbox).
   */
  HTTP_INLINE_READ_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /**
   * Send consecutive command steps as one chain, each participant sending the next command
   * itself: `true` (default) or `false`. Set it false while any participant runs an SDK older
   * than chains (it refuses a chained command, whose signature covers fields it cannot read):
   * during an upgrade, participants first.
   */
  SAGA_CHAIN_STEPS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((value) => value === "true"),
  /** Replies handled at once per replica; defaults to 10. */
  REPLY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(10),
  /** Publish step-level lifecycle events (`saga.step.*`) too: `true` or `false` (default). */
  SAGA_STEP_EVENTS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .transform((value) => value === "true"),
  /**
   * How long an outside event that came before its wait opened is kept (a duration such as
   * "15m", the default; at most "7d").
   */
  EARLY_EVENT_TTL: z
    .string()
    .default("15m")
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < 1_000 || ms > 7 * 24 * 3_600_000) {
        ctx.addIssue({
          code: "custom",
          message: 'must be a duration from "1s" to "7d", e.g. "15m"',
        });
        return z.NEVER;
      }
      return ms;
    }),
  /** Days a finished saga is kept after it finished, then archived and pruned; defaults to 90. */
  SAGA_RETENTION_DAYS: z.coerce.number().positive("must be more than 0 days").default(90),
  /**
   * Where finished sagas are archived before they are pruned: `s3://bucket/prefix`, a folder
   * (or `file:///folder`), or `none` to prune without archiving. Unset: `.saga-archive/` on the
   * development defaults; elsewhere finished sagas are kept (not pruned) until it is set.
   */
  SAGA_ARCHIVE: z
    .string()
    .optional()
    .transform((text, ctx): ArchiveTarget | undefined => {
      if (text === undefined || text.trim() === "") return undefined;
      try {
        return parseArchiveTarget(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * The most finished sagas the pruner removes a second while it works through a backlog;
   * defaults to 20 (1.7 million a day). Raise it to drain a large backlog faster, at a cost to
   * the sagas running meanwhile.
   */
  SAGA_PRUNE_MAX_PER_SECOND: z.coerce.number().positive("must be more than 0").default(20),
  /** `on` (default) or `paused`: pauses all pruning on this replica (see also `ops retention`). */
  SAGA_PRUNING: z.enum(["on", "paused"], { message: "must be on or paused" }).default("on"),
  /**
   * Days a reply's inbox row is kept; defaults to 21, and may not be below 19 (the oldest reply
   * accepted), or a redelivered reply would be applied twice.
   */
  REPLY_INBOX_RETENTION_DAYS: z.coerce
    .number()
    .min(19, "must be at least 19 days: replies are accepted until they are 19 days old")
    .default(21),
  /**
   * Days a pruned saga's id still answers 410 SAGA_ARCHIVED with where its record went (the
   * archive index, one row per pruned batch); defaults to 400. Afterwards the id answers 404.
   * Keep it no longer than the archive's own objects are kept, or it points at deleted ones.
   */
  SAGA_ARCHIVE_INDEX_DAYS: z.coerce
    .number()
    .int("must be a whole number of days")
    .min(1, "must be at least 1 day")
    .max(36_500, "must be at most 36500 days (100 years)")
    .default(400),
  /** MAX_RECEIVE_COUNT (default 5) and SAGAWORKS_EVENT_SUBSCRIBERS (default none). */
  ...topologySettingsShape,
});

/** The orchestrator's parsed config. */
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;

import { loadConfig } from "@sagaworks/platform";
import { describe, expect, it } from "vitest";
import { orchestratorConfigSchema } from "../config.ts";
import { restAfterBatch } from "./saga-retention.ts";

const env = {
  SAGAWORKS_ENV: "dev",
  ORCHESTRATOR_API_TOKEN: "a-token-of-16-chars-or-more",
};

describe("the retention settings of the orchestrator's environment", () => {
  it("default to 90 days, a 21-day reply inbox, pruning on and no archive chosen", () => {
    const config = loadConfig(orchestratorConfigSchema, env);
    expect(config).toMatchObject({
      SAGA_RETENTION_DAYS: 90,
      REPLY_INBOX_RETENTION_DAYS: 21,
      SAGA_PRUNING: "on",
      SAGA_ARCHIVE_INDEX_DAYS: 400,
      SAGA_PRUNE_MAX_PER_SECOND: 20,
    });
    expect(config.SAGA_ARCHIVE).toBeUndefined();
  });

  it("parse an S3 archive, a folder and none", () => {
    const s3 = loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE: "s3://audit-1/sagas" });
    expect(s3.SAGA_ARCHIVE).toEqual({ kind: "s3", bucket: "audit-1", prefix: "sagas/" });
    const folder = loadConfig(orchestratorConfigSchema, {
      ...env,
      SAGA_ARCHIVE: "file:///var/archive",
    });
    expect(folder.SAGA_ARCHIVE).toEqual({ kind: "folder", path: "/var/archive" });
    const none = loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE: "none" });
    expect(none.SAGA_ARCHIVE).toEqual({ kind: "none" });
  });

  it("name the variable and what is wrong", () => {
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE: "s3://Audit_Bucket/x" }),
    ).toThrow(/SAGA_ARCHIVE: "Audit_Bucket" in "s3:\/\/Audit_Bucket\/x" is not an S3 bucket name/);
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, REPLY_INBOX_RETENTION_DAYS: "14" }),
    ).toThrow(/REPLY_INBOX_RETENTION_DAYS: must be at least 19 days/);
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, SAGA_RETENTION_DAYS: "0" }),
    ).toThrow(/SAGA_RETENTION_DAYS: must be more than 0 days/);
    expect(() => loadConfig(orchestratorConfigSchema, { ...env, SAGA_PRUNING: "off" })).toThrow(
      /SAGA_PRUNING: must be on or paused/,
    );
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE_INDEX_DAYS: "0" }),
    ).toThrow(/SAGA_ARCHIVE_INDEX_DAYS: must be at least 1 day/);
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE_INDEX_DAYS: "1.5" }),
    ).toThrow(/SAGA_ARCHIVE_INDEX_DAYS: must be a whole number of days/);
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE_INDEX_DAYS: "a year" }),
    ).toThrow(/SAGA_ARCHIVE_INDEX_DAYS/);
    expect(() =>
      loadConfig(orchestratorConfigSchema, { ...env, SAGA_PRUNE_MAX_PER_SECOND: "0" }),
    ).toThrow(/SAGA_PRUNE_MAX_PER_SECOND: must be more than 0/);
  });

  it("take the archive index period in days", () => {
    const config = loadConfig(orchestratorConfigSchema, { ...env, SAGA_ARCHIVE_INDEX_DAYS: "730" });
    expect(config.SAGA_ARCHIVE_INDEX_DAYS).toBe(730);
  });
});

describe("the pruner's rest after a batch", () => {
  const options = { batchPauseMs: 100, dutyCycle: 0.1, maxSagasPerSecond: 20 };

  it("keeps to the pace: 200 sagas at 20 a second take 10 s, batch and rest together", () => {
    expect(restAfterBatch(300, 200, options)).toBe(9_700);
  });

  it("keeps to the duty cycle when a batch is slow: nine times its time at 0.1", () => {
    expect(restAfterBatch(2_000, 200, options)).toBe(18_000);
  });

  it("rests at least the shortest pause, also after a batch of nothing", () => {
    expect(restAfterBatch(5, 0, options)).toBe(100);
    expect(restAfterBatch(5, 0, { ...options, dutyCycle: 1 })).toBe(100);
  });
});

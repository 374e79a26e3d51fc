import { SQSClient } from "@aws-sdk/client-sqs";
import { DEV_COMMAND_KEY } from "@sagaworks/messaging";
import { createMetricsRegistry, type Database, silentLogger } from "@sagaworks/platform";
import { describe, expect, it } from "vitest";
import { resolveParticipantServiceDeps } from "./participant/participant-service.ts";
import { createServiceApp, DEFAULT_BODY_LIMIT, resolveServiceAppOptions } from "./service-app.ts";
import { MAX_JSON_DEPTH } from "./storable.ts";

// The resolvers only pass the database on; nothing here opens it.
const db = { kind: "embedded" } as unknown as Database;

describe("resolveServiceAppOptions", () => {
  it("gives an explicit undefined the default, as if the key were absent", () => {
    const required = { logger: silentLogger(), title: "options test" };
    const explicit = resolveServiceAppOptions({
      ...required,
      version: undefined,
      db: undefined,
      isReady: undefined,
      bodyLimit: undefined,
      maxJsonDepth: undefined,
      auth: undefined,
      metrics: undefined,
      securitySchemes: undefined,
    });
    expect(explicit).toMatchObject({
      version: "1.0.0",
      bodyLimit: DEFAULT_BODY_LIMIT,
      maxJsonDepth: MAX_JSON_DEPTH,
      db: undefined,
      auth: undefined,
      securitySchemes: undefined,
    });
    expect(explicit.isReady()).toBe(true);
    // Its own registry, so every app serves /metrics.
    expect(explicit.metrics.contentType).toContain("text/plain");
    const absent = resolveServiceAppOptions(required);
    expect(Object.keys(absent).sort()).toEqual(Object.keys(explicit).sort());
    expect(absent.bodyLimit).toBe(explicit.bodyLimit);
  });

  it("keeps every value given", () => {
    const metrics = createMetricsRegistry({ process: "service-app-options-test" });
    const resolved = resolveServiceAppOptions({
      logger: silentLogger(),
      title: "options test",
      version: "2.1.0",
      bodyLimit: 10,
      maxJsonDepth: 4,
      metrics,
      isReady: () => false,
    });
    expect(resolved).toMatchObject({ version: "2.1.0", bodyLimit: 10, maxJsonDepth: 4 });
    expect(resolved.metrics).toBe(metrics);
    expect(resolved.isReady()).toBe(false);
  });

  it("builds an app whose explicit undefined options behave as defaults", async () => {
    const app = await createServiceApp({
      logger: silentLogger(),
      title: "options test",
      isReady: undefined,
      metrics: undefined,
      bodyLimit: undefined,
    });
    try {
      expect((await app.inject({ method: "GET", url: "/ready" })).json()).toEqual({
        status: "ready",
      });
      const metrics = await app.inject({ method: "GET", url: "/metrics" });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain("process_cpu_user_seconds_total");
    } finally {
      await app.close();
    }
  });
});

describe("resolveParticipantServiceDeps", () => {
  const required = {
    db,
    sqs: new SQSClient({ region: "us-east-1" }),
    logger: silentLogger(),
    prefix: "t",
    auth: { writeToken: "w".repeat(32) },
  };

  it("gives an explicit undefined the participant's defaults, as if the key were absent", () => {
    const explicit = resolveParticipantServiceDeps({
      ...required,
      concurrency: undefined,
      waitTimeSeconds: undefined,
      maxReceiveCount: undefined,
      commandKeys: undefined,
      metrics: undefined,
    });
    expect(explicit).toEqual({
      ...required,
      concurrency: 10,
      waitTimeSeconds: 20,
      maxReceiveCount: undefined,
      commandKeys: { current: DEV_COMMAND_KEY },
      metrics: undefined,
    });
    expect(resolveParticipantServiceDeps(required)).toEqual(explicit);
  });

  it("keeps every value given, a zero wait included", () => {
    const resolved = resolveParticipantServiceDeps({
      ...required,
      concurrency: 2,
      waitTimeSeconds: 0,
      maxReceiveCount: 3,
    });
    expect(resolved).toMatchObject({ concurrency: 2, waitTimeSeconds: 0, maxReceiveCount: 3 });
  });
});

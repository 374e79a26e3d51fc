import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@sagaworks/platform";
import { DEV_WRITE_TOKEN } from "@sagaworks/service-kit";
import { describe, expect, it } from "vitest";
import { resolveSystemOptions } from "./system.ts";

describe("resolveSystemOptions", () => {
  const required = { logger: silentLogger(), prefix: "t", apiToken: "a".repeat(32) };

  it("gives an explicit undefined the default, as if the key were absent", () => {
    const explicit = resolveSystemOptions({
      ...required,
      databaseUrl: undefined,
      awsEndpoint: undefined,
      schemaPrefix: undefined,
      serviceToken: undefined,
      fast: undefined,
      definitions: undefined,
      retention: undefined,
      eventSubscribers: undefined,
      revisionGuard: undefined,
      chainSteps: undefined,
    });
    expect(explicit).toEqual({
      ...required,
      databaseUrl: undefined,
      awsEndpoint: undefined,
      schemaPrefix: "",
      serviceToken: DEV_WRITE_TOKEN,
      fast: false,
      definitions: undefined,
      // Archived to a folder of the run's own, then pruned after the production periods.
      retention: {
        archive: expect.objectContaining({
          description: join(tmpdir(), "sagaworks-saga-archive", "t"),
        }),
      },
      eventSubscribers: [],
      revisionGuard: false,
      chainSteps: true,
    });
    expect(resolveSystemOptions(required)).toEqual(explicit);
  });

  it("reads an empty database URL or endpoint (an unset variable passed on) as embedded", () => {
    const resolved = resolveSystemOptions({ ...required, databaseUrl: "", awsEndpoint: "" });
    expect(resolved.databaseUrl).toBeUndefined();
    expect(resolved.awsEndpoint).toBeUndefined();
  });

  it("keeps every value given", () => {
    const resolved = resolveSystemOptions({
      ...required,
      databaseUrl: "postgres://postgres@127.0.0.1:5432/x",
      schemaPrefix: "demo_",
      serviceToken: "s".repeat(32),
      fast: true,
      definitions: [],
    });
    expect(resolved).toMatchObject({
      databaseUrl: "postgres://postgres@127.0.0.1:5432/x",
      schemaPrefix: "demo_",
      serviceToken: "s".repeat(32),
      fast: true,
      definitions: [],
    });
  });
});

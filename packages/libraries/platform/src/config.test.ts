import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigShape, loadConfig, shouldApplyTopology } from "./config.ts";
import { type PlatformError, PlatformErrors } from "./errors.ts";

const schema = z.object({ ...baseConfigShape, PORT: z.coerce.number().int().min(1).max(65_535) });

describe("loadConfig", () => {
  it("applies defaults and coerces values", () => {
    const config = loadConfig(schema, { PORT: "3000", SAGAWORKS_ENV: "dev" });
    expect(config).toMatchObject({
      PORT: 3000,
      LOG_LEVEL: "info",
      AWS_REGION: "us-east-1",
      SAGAWORKS_ENV: "dev",
      MAX_RECEIVE_COUNT: 5,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.SAGAWORKS_BROKER).toBeUndefined();
    expect(shouldApplyTopology(config)).toBe(true);
  });

  it("outside dev, refuses to start without a database and a broker, saying what to set", () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: "3000" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toSatisfy(PlatformErrors.is);
    const { details, message } = error as PlatformError;
    expect((details.problems as { variable: string }[]).map((p) => p.variable)).toEqual([
      "DATABASE_URL",
      "AWS_ENDPOINT_URL",
    ]);
    expect(message).toContain("SAGAWORKS_ENV=dev");
    expect(message).toContain("SAGAWORKS_BROKER=aws");
  });

  it("outside dev, starts with both named, and leaves the topology to the infrastructure", () => {
    const config = loadConfig(schema, {
      PORT: "3000",
      DATABASE_URL: "postgres://db/x",
      SAGAWORKS_BROKER: "aws",
    });
    expect(config.SAGAWORKS_ENV).toBe("production");
    expect(shouldApplyTopology(config)).toBe(false);
    expect(
      shouldApplyTopology(
        loadConfig(schema, {
          PORT: "1",
          DATABASE_URL: "postgres://db/x",
          AWS_ENDPOINT_URL: "http://localstack:4566",
          SAGAWORKS_APPLY_TOPOLOGY: "true",
        }),
      ),
    ).toBe(true);
  });

  it("lists a wrong SAGAWORKS_ENV with the other problems", () => {
    const attempt = () => loadConfig(schema, { PORT: "x", SAGAWORKS_ENV: "prod" });
    expect(attempt).toThrow(/2 problem\(s\)/);
    expect(attempt).toThrow(/- PORT: /);
    expect(attempt).toThrow(/- SAGAWORKS_ENV: must be dev or production/);
  });

  it("checks only what the schema reads: a process without a database needs no DATABASE_URL", () => {
    expect(loadConfig(z.object({ PORT: schema.shape.PORT }), { PORT: "2" })).toEqual({ PORT: 2 });
  });

  it("lists every problem at once, each with its variable", () => {
    let error: unknown;
    try {
      loadConfig(schema, {
        PORT: "seventy",
        DATABASE_URL: "mysql://localhost/x",
        LOG_LEVEL: "loud",
        AWS_ENDPOINT_URL: "not a url",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toSatisfy(PlatformErrors.is);
    const { code, details, message } = error as PlatformError;
    expect(code).toBe("CONFIG_INVALID");
    const variables = (details.problems as { variable: string }[]).map((p) => p.variable).sort();
    expect(variables).toEqual(["AWS_ENDPOINT_URL", "DATABASE_URL", "LOG_LEVEL", "PORT"]);
    expect(message).toContain("4 problem(s)");
    expect(message).toContain("DATABASE_URL: must be a postgres:// or postgresql:// URL");
  });

  it("treats an empty variable as unset", () => {
    expect(
      loadConfig(schema, { PORT: "1", DATABASE_URL: "", SAGAWORKS_ENV: "dev" }).DATABASE_URL,
    ).toBeUndefined();
  });
});

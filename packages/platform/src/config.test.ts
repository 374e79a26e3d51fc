import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigShape, loadConfig } from "./config.ts";
import { PlatformError } from "./errors.ts";

const schema = z.object({ ...baseConfigShape, PORT: z.coerce.number().int().min(1).max(65_535) });

describe("loadConfig", () => {
  it("applies defaults and coerces values", () => {
    const config = loadConfig(schema, { PORT: "3000" });
    expect(config).toMatchObject({
      PORT: 3000,
      LOG_LEVEL: "info",
      AWS_REGION: "us-east-1",
      SAGAWORKS_BROKER: "embedded",
    });
    expect(config.DATABASE_URL).toBeUndefined();
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
    expect(error).toBeInstanceOf(PlatformError);
    const { code, details, message } = error as PlatformError;
    expect(code).toBe("CONFIG_INVALID");
    const variables = (details.problems as { variable: string }[]).map((p) => p.variable).sort();
    expect(variables).toEqual(["AWS_ENDPOINT_URL", "DATABASE_URL", "LOG_LEVEL", "PORT"]);
    expect(message).toContain("4 problem(s)");
    expect(message).toContain("DATABASE_URL: must be a postgres:// or postgresql:// URL");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig(schema, { PORT: "1", DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});

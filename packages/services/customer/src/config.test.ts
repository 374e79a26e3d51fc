import { loadConfig } from "@sagaworks/platform";
import { describe, expect, it } from "vitest";
import { customerConfigSchema } from "./config.ts";

describe("customerConfigSchema", () => {
  it("has working defaults", () => {
    expect(loadConfig(customerConfigSchema, { SAGAWORKS_ENV: "dev" })).toEqual({
      LOG_LEVEL: "info",
      PORT: 3003,
      HOST: "127.0.0.1",
      CUSTOMER_DB_SCHEMA: "customer",
      CUSTOMER_SEED: true,
      SAGAWORKS_ENV: "dev",
    });
  });

  it("reads CUSTOMER_SEED=false as false", () => {
    expect(
      loadConfig(customerConfigSchema, { SAGAWORKS_ENV: "dev", CUSTOMER_SEED: "false" })
        .CUSTOMER_SEED,
    ).toBe(false);
  });

  it("lists every problem at once", () => {
    expect(() =>
      loadConfig(customerConfigSchema, {
        PORT: "http",
        CUSTOMER_SEED: "yes",
        CUSTOMER_DB_SCHEMA: "Customer-Schema",
        DATABASE_URL: "mysql://x",
      }),
    ).toThrow(/4 problem\(s\)[\s\S]*CUSTOMER_SEED: must be true or false/);
  });
});

import { describe, expect, it } from "vitest";
import { createAwsClients, resolveAwsClientOptions } from "./aws-clients.ts";

describe("resolveAwsClientOptions", () => {
  it("gives an explicit undefined the default, as if the key were absent", () => {
    const explicit = resolveAwsClientOptions({
      endpoint: undefined,
      region: undefined,
      maxAttempts: undefined,
    });
    expect(explicit).toEqual({ endpoint: undefined, region: "us-east-1", maxAttempts: 3 });
    expect(resolveAwsClientOptions({})).toEqual(explicit);
    expect(resolveAwsClientOptions()).toEqual(explicit);
  });

  it("reads an empty endpoint (an unset variable passed on) as AWS", () => {
    expect(resolveAwsClientOptions({ endpoint: "" }).endpoint).toBeUndefined();
  });

  it("keeps every value given", () => {
    expect(
      resolveAwsClientOptions({
        endpoint: "http://127.0.0.1:4566",
        region: "eu-west-1",
        maxAttempts: 5,
      }),
    ).toEqual({ endpoint: "http://127.0.0.1:4566", region: "eu-west-1", maxAttempts: 5 });
  });
});

describe("createAwsClients", () => {
  it("points both clients at the endpoint with the emulator's credentials", async () => {
    const clients = createAwsClients({ endpoint: "http://127.0.0.1:4566", region: undefined });
    try {
      expect(clients.region).toBe("us-east-1");
      expect(clients.endpoint).toBe("http://127.0.0.1:4566");
      expect(await clients.sqs.config.region()).toBe("us-east-1");
      expect(await clients.sns.config.maxAttempts()).toBe(3);
      const credentials = await clients.sqs.config.credentials();
      expect(credentials.accessKeyId).toBe("test");
    } finally {
      clients.destroy();
    }
  });
});

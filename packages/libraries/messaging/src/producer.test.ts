import { describe, expect, it } from "vitest";
import { AwsLimits, messageSizeBytes } from "./limits.ts";
import { checkMessages } from "./producer.ts";

describe("checkMessages", () => {
  it("counts attributes in the size, as AWS does", () => {
    expect(messageSizeBytes("héllo", { kind: "command" })).toBe(6 + 4 + 6 + 7);
  });

  it("accepts a message exactly at the limit and refuses one byte more", () => {
    const at = { body: "a".repeat(AwsLimits.sqsMaxMessageBytes) };
    expect(checkMessages([at], AwsLimits.sqsMaxMessageBytes, "q")).toEqual([
      AwsLimits.sqsMaxMessageBytes,
    ]);
    const over = { body: "a".repeat(AwsLimits.sqsMaxMessageBytes + 1) };
    expect(() => checkMessages([at, over], AwsLimits.sqsMaxMessageBytes, "q")).toThrow(
      "Message 1 to q is 1048577 bytes; the limit is 1048576 bytes",
    );
  });

  it("uses SNS's lower limit for topics", () => {
    const message = { body: "a".repeat(AwsLimits.snsMaxMessageBytes + 1) };
    expect(() => checkMessages([message], AwsLimits.snsMaxMessageBytes, "topic")).toThrow(
      /limit is 262144/,
    );
  });

  it("refuses more than ten attributes", () => {
    const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, "v"]));
    expect(() => checkMessages([{ body: "{}", attributes }], 1_000, "q")).toThrow(
      /has 11 attributes; AWS allows 10/,
    );
  });

  it("refuses a delay past 15 minutes and characters SQS rejects", () => {
    expect(() => checkMessages([{ body: "{}", delaySeconds: 901 }], 1_000, "q")).toThrow(
      /delaySeconds 901; SQS takes whole seconds from 0 to 900/,
    );
    expect(() => checkMessages([{ body: "ok\uD800" }], 1_000, "q")).toThrow(/offset 2/);
  });
});

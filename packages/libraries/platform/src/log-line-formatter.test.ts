import { describe, expect, it } from "vitest";
import { createLogLineFormatter } from "./logger.ts";

describe("createLogLineFormatter", () => {
  it("turns a JSON log line into a readable one and leaves other lines as they are", () => {
    const format = createLogLineFormatter();
    const line = format(
      JSON.stringify({
        level: 30,
        time: Date.UTC(2026, 0, 1, 12, 0, 0),
        pid: 1,
        hostname: "h",
        name: "order",
        sagaId: "s-1",
        msg: "shut down",
      }),
    );

    // Local time of day, the level, the message, then the fields on the same line.
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.000\] INFO: shut down \{"sagaId":"s-1"\}$/);
    expect(line).not.toContain('{"level"');
    expect(line).not.toContain("\n");
    expect(format("plain text")).toBe("plain text");
    expect(format("{ not json")).toBe("{ not json");
  });
});

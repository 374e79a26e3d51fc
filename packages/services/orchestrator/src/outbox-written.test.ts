import { describe, expect, it } from "vitest";
import { OutboxWritten } from "./outbox-written.ts";
import type { SagaOutboxRow } from "./store/outbox.ts";

describe("OutboxWritten", () => {
  it("hands each commit's rows to every listener, in the order they subscribed", () => {
    const written = new OutboxWritten();
    const seen: string[] = [];
    // Published before anyone listens: nothing to hand on, and nothing fails.
    written.publish([]);
    written.subscribe((rows) => seen.push(`relay:${rows.length}`));
    written.subscribe((rows) => seen.push(`http:${rows.length}`));
    const rows = [{ id: "1" }, { id: "2" }] as unknown as SagaOutboxRow[];
    // Passed on detached, as the runtime holds it.
    const publish = written.publish;
    publish(rows);
    expect(seen).toEqual(["relay:2", "http:2"]);
  });
});

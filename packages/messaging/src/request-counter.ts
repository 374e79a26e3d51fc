import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";

/**
 * Counts the HTTP requests SQS and SNS clients send, by API name (`SQS.SendMessageBatch`).
 * It sits in the SDK's deserialize step, inside the retry loop, so a retried call counts once
 * per attempt: that is what AWS bills. Used to measure the cost of a saga.
 */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  /** Adds the counting middleware to a client; safe to call once per client. */
  attach(client: SQSClient | SNSClient, service: "SQS" | "SNS"): void {
    // Both clients share the smithy middleware stack; the union type just hides that.
    (client as SQSClient).middlewareStack.add(
      (next, context) => async (args) => {
        const key = `${service}.${String(context.commandName ?? "unknown").replace(/Command$/, "")}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        return next(args);
      },
      { step: "deserialize", name: "sagaworksRequestCounter", override: true },
    );
  }

  /** Requests per API name since the last reset, sorted by name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** All requests since the last reset. */
  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  /** Starts counting from zero. */
  reset(): void {
    this.counts.clear();
  }
}

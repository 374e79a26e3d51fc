import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { counter, type MetricsRegistry } from "@sagaworks/platform";

/**
 * Counts the HTTP requests SQS and SNS clients send, by API name (`SQS.SendMessageBatch`).
 * It sits in the SDK's deserialize step, inside the retry loop, so a retried call counts once
 * per attempt: that is what AWS bills. Used to measure the cost of a saga.
 */
let counters = 0;
const exportedClients = new WeakMap<MetricsRegistry, WeakSet<object>>();

export class RequestCounter {
  private readonly counts = new Map<string, number>();
  private readonly exported: ((api: string) => void) | undefined;
  private readonly registry: MetricsRegistry | undefined;
  // One name per counter: two counters on one client (a benchmark's and the process's metrics)
  // both count; attaching the same counter twice replaces its middleware instead of doubling it.
  private readonly middlewareName = `sagaworksRequestCounter${++counters}`;

  /** With `metrics`, also counts into `sagaworks_aws_requests_total{api}` for Prometheus. */
  constructor(options: { metrics?: MetricsRegistry } = {}) {
    this.registry = options.metrics;
    if (options.metrics) {
      const total = counter(options.metrics, {
        name: "sagaworks_aws_requests_total",
        help: "SQS and SNS HTTP requests sent by this process, by API (retries count once each).",
        labelNames: ["api"],
      });
      this.exported = (api) => total.inc({ api });
    }
  }

  /** Adds the counting middleware to a client; safe to call once per client. */
  attach(client: SQSClient | SNSClient, service: "SQS" | "SNS"): void {
    // Parts of one process that share a client and a registry (the demo's single process)
    // export its requests once.
    let exported = this.exported;
    if (this.registry) {
      const clients = exportedClients.get(this.registry) ?? new WeakSet<object>();
      exportedClients.set(this.registry, clients);
      if (clients.has(client)) exported = undefined;
      clients.add(client);
    }
    // Both clients share the smithy middleware stack; the union type just hides that.
    (client as SQSClient).middlewareStack.add(
      (next, context) => async (args) => {
        const key = `${service}.${String(context.commandName ?? "unknown").replace(/Command$/, "")}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        exported?.(key);
        return next(args);
      },
      { step: "deserialize", name: this.middlewareName, override: true },
    );
    // A client made with `cacheMiddleware` keeps the stack it resolved per command class, and
    // would not run middleware added after its first send of that class: drop what it resolved
    // (the same thing the client does itself on destroy) so counting starts with the next send.
    delete (client as unknown as { handlers?: unknown }).handlers;
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

import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  counter,
  type MetricsRegistry,
  onAwsDirectFallback,
  onAwsRequest,
} from "@sagaworks/platform";

/**
 * Counts the HTTP requests SQS and SNS clients send, by API name (`SQS.SendMessageBatch`).
 * It listens through {@link onAwsRequest}, inside the SDK's retry loop, so a retried call counts
 * once per attempt: that is what AWS bills. Used to measure the cost of a saga.
 */
const exportedClients = new WeakMap<MetricsRegistry, WeakSet<object>>();

export class RequestCounter {
  private readonly counts = new Map<string, number>();
  private readonly exported: ((api: string) => void) | undefined;
  private readonly exportedFallback: ((api: string) => void) | undefined;
  private readonly registry: MetricsRegistry | undefined;
  // One listener per counter and client: two counters on one client (a benchmark's and the
  // process's metrics) both count; attaching the same counter twice counts once.
  private readonly listeners = new WeakMap<object, (api: string) => void>();

  /**
   * With `metrics`, also counts into `sagaworks_aws_requests_total{api}` for Prometheus, and the
   * calls a direct path handed to the SDK into `sagaworks_aws_direct_fallbacks_total{api}`.
   */
  constructor(options: { metrics?: MetricsRegistry } = {}) {
    this.registry = options.metrics;
    if (options.metrics) {
      const total = counter(options.metrics, {
        name: "sagaworks_aws_requests_total",
        help: "SQS and SNS HTTP requests sent by this process, by API (retries count once each).",
        labelNames: ["api"],
      });
      this.exported = (api) => total.inc({ api });
      const fallbacks = counter(options.metrics, {
        name: "sagaworks_aws_direct_fallbacks_total",
        help: "Hot SQS and SNS calls whose direct attempt failed (each cost a second request, through the SDK) or whose direct path could not open, by API.",
        labelNames: ["api"],
      });
      this.exportedFallback = (api) => fallbacks.inc({ api });
    }
  }

  /** Counts the requests a client sends from now on; attaching it twice counts once. */
  attach(client: SQSClient | SNSClient, service: "SQS" | "SNS"): void {
    // Parts of one process that share a client and a registry (the demo's single process)
    // export its requests once.
    let exported = this.exported;
    if (this.registry) {
      const clients = exportedClients.get(this.registry) ?? new WeakSet<object>();
      exportedClients.set(this.registry, clients);
      if (clients.has(client)) exported = undefined;
      else if (this.exportedFallback) onAwsDirectFallback(client, this.exportedFallback);
      clients.add(client);
    }
    let listener = this.listeners.get(client);
    if (!listener) {
      const exportTo = exported;
      listener = (api) => {
        this.counts.set(api, (this.counts.get(api) ?? 0) + 1);
        exportTo?.(api);
      };
      this.listeners.set(client, listener);
    }
    // The client's middleware already holds the hook (createAwsClients adds it before the first
    // send), so attaching never changes a stack a cacheMiddleware client has resolved.
    onAwsRequest(client, service, listener);
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

import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { CachedReading, gauge, type MetricsRegistry } from "@sagaworks/platform";
import { queueNameOf } from "./consumer-support.ts";

/** Options of {@link registerDlqDepth}. */
export interface DlqDepthOptions {
  sqs: SQSClient;
  /** URLs of the dead-letter queues this process owns (its own queues' DLQs). */
  dlqUrls: readonly string[];
  /** How long a reading is reused; defaults to 30 s (one GetQueueAttributes per DLQ per period). */
  maxAgeMs?: number;
}

/**
 * `sagaworks_dlq_messages{queue}`: the approximate number of messages in each of this process's
 * DLQs, polled with GetQueueAttributes at most once per `maxAgeMs` whatever the scrape rate.
 */
export function registerDlqDepth(registry: MetricsRegistry, options: DlqDepthOptions): void {
  const readings = options.dlqUrls.map((url) => ({
    queue: queueNameOf(url),
    depth: new CachedReading(async () => {
      const { Attributes } = await options.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    }, options.maxAgeMs ?? 30_000),
  }));
  const previous = dlqReadings.get(registry) ?? [];
  const all = [...previous, ...readings];
  dlqReadings.set(registry, all);
  gauge(registry, {
    name: "sagaworks_dlq_messages",
    help: "Approximate messages in this process's dead-letter queues (polled, cached 30 s).",
    labelNames: ["queue"],
    async collect() {
      const values = await Promise.all(
        (dlqReadings.get(registry) ?? []).map(async (r) => ({ ...r, value: await r.depth.get() })),
      );
      for (const { queue, value } of values) {
        if (value !== undefined) this.set({ queue }, value);
      }
    },
  });
}

const dlqReadings = new WeakMap<
  MetricsRegistry,
  { queue: string; depth: CachedReading<number> }[]
>();

// The clients: a closed loop of N in flight, each starting one order and waiting for its terminal
// event on a queue before starting the next.
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

/** Reads terminal events off a queue and hands each to whoever waits for its id. */
export class EventWaiter {
  private readonly waiting = new Map<string, (name: string) => void>();
  /** Events that arrived before anyone waited (the start's answer may come after its end). */
  private readonly early = new Map<string, string>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[];
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;

  /** Starts `pollers` long-poll loops on the queue; each body must carry `name` and an id. */
  constructor(sqs: SQSClient, queueUrl: string, pollers: number) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.loops = Array.from({ length: pollers }, () => this.loop());
  }

  /** Resolves with the event name for this id; rejects after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<string> {
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no terminal event for ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (name) => {
        clearTimeout(timer);
        resolve(name);
      });
    });
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 5,
          }),
          { abortSignal: this.abort.signal },
        );
        const messages = received.Messages ?? [];
        for (const message of messages) {
          const body = JSON.parse(message.Body ?? "{}") as {
            name?: string;
            sagaId?: string;
            orderId?: string;
          };
          const id = body.sagaId ?? body.orderId;
          if (!id || !body.name) continue;
          const waiter = this.waiting.get(id);
          if (waiter) {
            this.waiting.delete(id);
            waiter(body.name);
          } else {
            this.early.set(id, body.name);
          }
        }
        if (messages.length > 0) {
          // Not awaited by the waiters: deleting is the client's housekeeping, not the latency.
          void this.sqs
            .send(
              new DeleteMessageBatchCommand({
                QueueUrl: this.queueUrl,
                Entries: messages.map((m, i) => ({
                  Id: String(i),
                  ReceiptHandle: m.ReceiptHandle,
                })),
              }),
            )
            .catch(() => {});
        }
      } catch (error) {
        if (this.abort.signal.aborted) return;
        process.stderr.write(`bench client: receive failed: ${String(error)}\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** Stops polling. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }
}

/** What starting order number `i` gave: an id to wait for, or a terminal state right away. */
export type StartResult = { id: string } | { terminal: string };

/** Options of {@link closedLoop}. */
export interface ClosedLoopOptions {
  sagas: number;
  concurrency: number;
  /** Starts order `i` (over HTTP). */
  start(i: number): Promise<StartResult>;
  /** The terminal state expected for order `i`. */
  expected(i: number): string;
  events: Pick<EventWaiter, "wait">;
  /** Per-order limit to reach a terminal state; default 60 s. */
  perSagaTimeoutMs?: number;
  /** No order starts after this time (epoch ms); the phase reports how many ran. */
  deadline: number;
  /** Told the number of orders ended so far, each time one ends. */
  onEnded?: (ended: number) => void;
}

/** What a phase measured. */
export interface LoopResult {
  completed: number;
  seconds: number;
  /** Latency of every order in ms, sorted. */
  latencies: number[];
  outcomes: Record<string, number>;
  /** Orders that ended in another state than expected, or not at all. */
  unexpected: number;
  /** First problems seen, for the report. */
  problems: string[];
  stoppedByDeadline: boolean;
}

/** Runs `sagas` orders with `concurrency` clients, each waiting for its order's end. */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoopResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const problems: string[] = [];
  let unexpected = 0;
  let next = 0;
  let stoppedByDeadline = false;
  const timeout = options.perSagaTimeoutMs ?? 60_000;
  const started = performance.now();
  const client = async () => {
    for (;;) {
      if (Date.now() > options.deadline) {
        stoppedByDeadline = next < options.sagas;
        return;
      }
      const i = next++;
      if (i >= options.sagas) return;
      const t0 = performance.now();
      let outcome: string;
      try {
        const result = await options.start(i);
        outcome =
          "terminal" in result ? result.terminal : await options.events.wait(result.id, timeout);
      } catch (error) {
        outcome = "error";
        if (problems.length < 5) problems.push(String(error));
      }
      latencies.push(performance.now() - t0);
      options.onEnded?.(latencies.length);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome !== options.expected(i)) {
        unexpected++;
        if (problems.length < 5 && outcome !== "error")
          problems.push(`order ${i}: ${outcome}, expected ${options.expected(i)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => client()));
  return {
    completed: latencies.length,
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    outcomes,
    unexpected,
    problems,
    stoppedByDeadline,
  };
}

/** The p-th percentile (nearest rank) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

import { MessagingErrorCode, MessagingErrors } from "./errors.ts";
import { AwsLimits } from "./limits.ts";

/**
 * Splits entries into batches that respect both an entry count and a byte budget, keeping the
 * original order. Every entry must already fit on its own (the producer checks that first).
 * Returns the indexes of the entries in each batch.
 */
export function planBatches(
  sizes: readonly number[],
  maxBytes: number,
  maxEntries: number = AwsLimits.maxBatchEntries,
): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  sizes.forEach((size, index) => {
    if (current.length === maxEntries || (current.length > 0 && currentBytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/** One entry a batch API reported as failed. */
export interface BatchEntryFailure {
  /** Index of the message in the caller's list. */
  index: number;
  /** AWS error code, e.g. `InternalError` or `InvalidParameterValue`. */
  code: string;
  message: string;
  /** True when AWS blames the request (retrying cannot help). */
  senderFault: boolean;
}

/** What happened to each message of a batched send. */
export interface BatchReport {
  /** Messages accepted, with the id the broker gave them. */
  sent: { index: number; brokerMessageId: string }[];
  /** Messages still rejected after the retries, in index order. */
  failed: BatchEntryFailure[];
  /** Batch API calls made, retries included. */
  calls: number;
}

/** The shape shared by SendMessageBatch and PublishBatch responses. */
export interface BatchCallResult {
  successful: { id: string; brokerMessageId: string }[];
  failed: { id: string; code: string; message: string; senderFault: boolean }[];
}

/** Options for {@link sendInBatches}. */
export interface SendInBatchesOptions {
  sizes: readonly number[];
  maxBytes: number;
  /** Sends one batch; entry ids are the caller's indexes as strings. */
  call: (indexes: number[]) => Promise<BatchCallResult>;
  /** Attempts per entry for failures that are not the sender's fault; defaults to 3. */
  maxAttempts?: number;
  /** Base delay between attempts, doubled each time; defaults to 50 ms. */
  retryDelayMs?: number;
}

/**
 * Sends entries in planned batches and retries the entries a batch reports as failed when the
 * failure is not the sender's fault (throttling, internal errors). Sender faults are final.
 * A whole call that throws is retried the same way, then fails all its entries.
 */
export async function sendInBatches(options: SendInBatchesOptions): Promise<BatchReport> {
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 50;
  const report: BatchReport = { sent: [], failed: [], calls: 0 };
  for (const batch of planBatches(options.sizes, options.maxBytes)) {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      report.calls++;
      let result: BatchCallResult;
      try {
        result = await options.call(pending);
      } catch (error) {
        const err = error as Error & { $fault?: string };
        result = {
          successful: [],
          failed: pending.map((index) => ({
            id: String(index),
            code: err.name,
            message: err.message,
            senderFault: err.$fault === "client",
          })),
        };
      }
      for (const entry of result.successful) {
        report.sent.push({ index: Number(entry.id), brokerMessageId: entry.brokerMessageId });
      }
      const retryable: number[] = [];
      for (const failure of result.failed) {
        const index = Number(failure.id);
        if (!failure.senderFault && attempt < maxAttempts) retryable.push(index);
        else {
          const { code, message, senderFault } = failure;
          report.failed.push({ index, code, message, senderFault });
        }
      }
      pending = retryable;
      if (pending.length > 0) {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
  report.sent.sort((a, b) => a.index - b.index);
  report.failed.sort((a, b) => a.index - b.index);
  return report;
}

/** Throws BATCH_ENTRY_FAILED when any entry of the report failed. */
export function assertAllSent(report: BatchReport, destination: string): void {
  if (report.failed.length === 0) return;
  const first = report.failed[0];
  throw MessagingErrors.create(
    MessagingErrorCode.batchEntryFailed,
    `${report.failed.length} of ${report.failed.length + report.sent.length} message(s) to ${destination} were not accepted` +
      (first ? ` (first: message ${first.index}, ${first.code}: ${first.message})` : "") +
      ". Sender faults need the message fixed; others can be sent again.",
    { destination, failed: report.failed, sent: report.sent },
  );
}

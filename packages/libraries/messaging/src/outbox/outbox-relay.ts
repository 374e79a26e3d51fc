import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Database, Logger } from "@sagaworks/platform";
import type { BatchReport } from "../batching.ts";
import { MessagingErrorCode, MessagingErrors } from "../errors.ts";
import { AwsLimits } from "../limits.ts";
import { AdaptiveLinger } from "../linger.ts";
import { checkMessages, type OutgoingMessage, publishToTopic, sendToQueue } from "../producer.ts";
import { OutboxHandOff } from "./hand-off.ts";
import {
  type OutboxParking,
  type OutboxRetry,
  type OutboxRow,
  type OutboxStore,
  tableOutboxStore,
} from "./outbox-store.ts";

/** Options of {@link OutboxRelay}; give either `store` or `db` and `table`. */
export interface OutboxRelayOptions {
  /** Where the rows live; defaults to {@link tableOutboxStore} of `db` and `table`. */
  store?: OutboxStore;
  /** The database of a plain outbox table (with `table`), when no `store` is given. */
  db?: Database;
  /** A plain outbox table made by `createOutboxTable`, when no `store` is given. */
  table?: string;
  /** Shared with the writer of the rows; defaults to one of the relay's own. */
  handOff?: OutboxHandOff;
  sqs: SQSClient;
  /** Needed only when the table holds `sns` rows. */
  sns?: SNSClient;
  logger: Logger;
  /**
   * Counts the transactions that sent something (for cost measurements), and optionally sees the
   * size of each batch sent (for a histogram); owned by the caller.
   */
  metrics?: RelayMetrics;
  /** Defaults to the wall clock. */
  clock?: () => Date;
  /**
   * Fallback poll for rows nobody dispatched (a crash after commit, a failed send); defaults to
   * 1 s. Such rows wait out a 5 s lease first, so polling faster finds nothing sooner; each
   * look is a query (and a commit in Postgres's counters) on an idle system.
   */
  pollIntervalMs?: number;
  /** Rows claimed per transaction; defaults to 100. */
  batchSize?: number;
  /** How long sent rows wait for a caller's transaction to delete them; defaults to 100 ms. */
  deleteDelayMs?: number;
  /**
   * Attempts before a row the broker keeps refusing as invalid (a sender fault other than
   * throttling) is parked; defaults to 5. Transient failures (the broker unreachable, 5xx,
   * throttling) never park a row: it is retried for as long as they last.
   */
  maxAttempts?: number;
  /** First delay before a failed row is tried again, doubled per attempt; defaults to 500 ms. */
  retryBaseDelayMs?: number;
  /** The longest delay between attempts of a failed row; defaults to 60 s. */
  retryMaxDelayMs?: number;
  /** Uniform in [0, 1): jitter of the retry delays; defaults to Math.random. */
  random?: () => number;
  /**
   * The longest notified rows wait for rows of other commits to the same destination, so they
   * leave in one batch; defaults to 5 ms. The wait adapts to the pace of commits (see
   * {@link AdaptiveLinger}): none when commits are sparse. 0 sends at once.
   */
  maxLingerMs?: number;
  /**
   * Rows nobody waits for (lifecycle events that are not terminal): they start no send of their
   * own but ride along with the next urgent row to the same destination, or leave after
   * `maxDeferMs`. Defaults to none.
   */
  deferrable?: (row: OutboxRow) => boolean;
  /**
   * Rows nobody receives (say, a lifecycle event no subscriber's filter takes): they count as
   * sent without a request, and are deleted with the sent rows. Defaults to none.
   */
  unread?: (row: OutboxRow) => boolean;
  /**
   * The longest a deferrable row waits for other rows to ride along with; defaults to 250 ms.
   * Capped well under {@link OUTBOX_LEASE_MS}, so the poll never sends a row its writer still
   * holds.
   */
  maxDeferMs?: number;
}

/** What the relay counts into: commits, and the messages each batch sent. */
export interface RelayMetrics {
  commits: number;
  relayBatchSent?(messages: number): void;
}

/** The relay's options with every default applied. */
interface ResolvedRelayOptions {
  store: OutboxStore;
  name: string;
  handOff: OutboxHandOff;
  sqs: SQSClient;
  sns: SNSClient | undefined;
  logger: Logger;
  metrics: RelayMetrics;
  clock: () => Date;
  pollIntervalMs: number;
  batchSize: number;
  deleteDelayMs: number;
  maxAttempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  random: () => number;
  maxLingerMs: number;
  deferrable: (row: OutboxRow) => boolean;
  unread: ((row: OutboxRow) => boolean) | undefined;
  maxDeferMs: number;
}

function resolveRelayOptions(options: OutboxRelayOptions): ResolvedRelayOptions {
  let store = options.store;
  if (!store) {
    if (!options.db || !options.table) {
      throw MessagingErrors.create(
        MessagingErrorCode.relayMisconfigured,
        "OutboxRelay needs a store, or a db and the table of a plain outbox: pass `store`, or `db` and `table`.",
      );
    }
    store = tableOutboxStore(options.db, options.table);
  }
  return {
    store,
    name: options.table ?? "outbox",
    handOff: options.handOff ?? new OutboxHandOff(store),
    sqs: options.sqs,
    sns: options.sns,
    logger: options.logger,
    metrics: options.metrics ?? { commits: 0 },
    clock: options.clock ?? (() => new Date()),
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    batchSize: options.batchSize ?? 100,
    deleteDelayMs: options.deleteDelayMs ?? 100,
    maxAttempts: options.maxAttempts ?? 5,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 60_000,
    random: options.random ?? Math.random,
    maxLingerMs: options.maxLingerMs ?? 5,
    deferrable: options.deferrable ?? (() => false),
    unread: options.unread,
    maxDeferMs: Math.min(options.maxDeferMs ?? 250, OUTBOX_LEASE_MS / 5),
  };
}

/**
 * How long a freshly written row is reserved for the process that wrote it. That process sends
 * it right after its commit; only if it dies first does the poll of any replica pick the row up,
 * once this lease runs out. Writers set `available_at = now + OUTBOX_LEASE_MS`. The send takes
 * milliseconds, so 5 s leaves ample room (a send still under way when it runs out only makes
 * a duplicate, which receivers absorb) while a crash delays the rows by no more than that.
 */
export const OUTBOX_LEASE_MS = 5_000;

/** The earliest time a row written at `now` may be sent by the poll. */
export function outboxAvailableAt(now: Date): Date {
  return new Date(now.getTime() + OUTBOX_LEASE_MS);
}

/** A row that did not go out, and whether it never can as it is. */
interface SendFailure {
  row: OutboxRow;
  code: string;
  message: string;
  /** Refused before sending (too large, bad characters): sending it again cannot help. */
  permanent: boolean;
  /**
   * Refused by the broker as the sender's fault (not throttling): the message or its address is
   * wrong, and after `maxAttempts` of these the row is parked. Anything else is transient.
   */
  refusedAsInvalid: boolean;
}

/** Sender-fault codes that only say "slow down": transient, like a 5xx. */
const THROTTLING = /throttl|slowdown|toomanyrequests|requestlimitexceeded/i;

/**
 * Sends outbox rows to SQS and SNS.
 *
 * Rows written by a commit are sent right after it by the process that wrote them. Rows of many
 * commits share one batch per destination: rows written while a send is under way share the
 * next one (like a group commit), and under load notified rows linger a few milliseconds for
 * the rows of the next commits (see {@link AdaptiveLinger}). That send takes no lock
 * and no transaction: the rows are leased to this process (see {@link OUTBOX_LEASE_MS}). Sent
 * rows are deleted later, together: either inside the writer's next transaction (through the
 * shared {@link OutboxHandOff}), which costs no commit of its own, or by a short timer.
 *
 * The poll is the fallback for rows whose lease ran out (the writer crashed, or a send failed):
 * it claims them with `FOR UPDATE SKIP LOCKED`, so replicas never send the same row at once, and
 * deletes them in the transaction that sent them. A crash between a send and its delete sends
 * the row again; receivers deduplicate on message id.
 *
 * A row that cannot be sent never holds others back: each message is checked alone before its
 * batch goes, and a batch's refused entries fail alone. A row refused before sending, or refused
 * by the broker as invalid `maxAttempts` times, is parked by its store with the reason. A broker
 * outage (unreachable, 5xx, throttling) parks nothing: rows are retried with capped, jittered
 * exponential backoff for as long as it lasts, and go out late, never lost.
 */
export class OutboxRelay {
  /** The hand-off shared with the writer of the rows. */
  readonly handOff: OutboxHandOff;
  private readonly options: ResolvedRelayOptions;
  private pending = new Map<string, OutboxRow>();
  /** Rows waiting in `pending` per destination (`kind destination`), to spot a full batch. */
  private pendingPerDestination = new Map<string, number>();
  /** Pending rows that are not deferrable: only these start a send. */
  private urgent = 0;
  private deferTimer: NodeJS.Timeout | undefined;
  /** The deferral ran out: deferrable rows start a send too. */
  private deferredDue = false;
  private dispatching = false;
  private readonly linger: AdaptiveLinger;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** A send is queued for the end of the current microtasks (see kick). */
  private sendSoon = false;
  /** Set while stopping: whatever is pending leaves at once. */
  private flushing = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private deleteTimer: NodeJS.Timeout | undefined;

  constructor(options: OutboxRelayOptions) {
    this.options = resolveRelayOptions(options);
    this.handOff = this.options.handOff;
    this.linger = new AdaptiveLinger({ maxMs: this.options.maxLingerMs });
    this.handOff.whenReturned(() => this.scheduleDeletes());
  }

  /** Starts the fallback poll. */
  start(): void {
    this.running = true;
    this.flushing = false;
    const poll = () => {
      if (!this.running) return;
      void this.track(this.pollOnce()).finally(() => {
        if (this.running) this.pollTimer = setTimeout(poll, this.options.pollIntervalMs);
      });
    };
    this.pollTimer = setTimeout(poll, this.options.pollIntervalMs);
  }

  /** Stops polling, sends what is pending, waits for sends under way and deletes what was sent. */
  async stop(): Promise<void> {
    this.running = false;
    this.flushing = true;
    clearTimeout(this.pollTimer);
    while (this.pending.size > 0 || this.dispatching) {
      this.kick();
      await Promise.allSettled([...this.inFlight]);
    }
    await Promise.allSettled([...this.inFlight]);
    await this.flushDeletes();
  }

  /**
   * Asks for these rows to be sent (called after the commit that wrote them, with what it
   * wrote). When no send is under way and commits are sparse the rows go at once; under load
   * they linger briefly for other commits' rows, and while a send is under way new rows gather
   * and leave together when it ends. Light load gets low latency, saturation gets full batches.
   */
  notify(rows: readonly OutboxRow[]): void {
    // The writer hands over the rows it just committed, so they need not be read back.
    let added = 0;
    let deferred = 0;
    const unread: string[] = [];
    for (const row of rows) {
      if (row.kind !== "sqs" && row.kind !== "sns") continue;
      const id = String(row.id);
      if (this.options.unread?.(row)) {
        unread.push(id);
        continue;
      }
      if (this.pending.has(id)) continue;
      this.pending.set(id, row);
      if (this.options.deferrable(row)) {
        deferred++;
        continue;
      }
      const key = destinationKey(row);
      this.pendingPerDestination.set(key, (this.pendingPerDestination.get(key) ?? 0) + 1);
      this.urgent++;
      added++;
    }
    if (deferred > 0) {
      // Sent with the next urgent rows, or on their own once the longest deferral is up.
      this.deferTimer ??= setTimeout(() => {
        this.deferTimer = undefined;
        this.deferredDue = true;
        this.kick();
      }, this.options.maxDeferMs);
    }
    if (unread.length > 0) {
      this.handOff.add(unread);
      this.scheduleDeletes();
    }
    if (added > 0) this.linger.arrived(added, performance.now());
    this.kick();
  }

  /** Same as `handOff.take()`: ids of rows sent but not yet deleted. */
  takeSent(): string[] {
    return this.handOff.take();
  }

  /** Same as `handOff.giveBack()`: returns ids taken whose delete did not commit. */
  giveBack(ids: readonly string[]): void {
    this.handOff.giveBack(ids);
  }

  /**
   * Starts a send of everything pending unless one is under way (its end kicks again), or the
   * linger says more rows are about to come. One send at a time keeps the number of requests
   * down to what the broker's latency requires; a full batch never waits for the linger.
   */
  private kick(): void {
    if (this.dispatching || this.pending.size === 0) return;
    if (this.urgent === 0 && !this.deferredDue && !this.flushing) return;
    let fullest = 0;
    for (const count of this.pendingPerDestination.values()) fullest = Math.max(fullest, count);
    if (this.flushing) {
      this.dispatch();
      return;
    }
    const delay = this.linger.delayMs(fullest);
    if (delay > 0) {
      // Already lingering: that timer sends these rows too.
      this.lingerTimer ??= setTimeout(() => this.dispatch(), delay);
      return;
    }
    // Even with no linger the send waits for the microtasks already queued: the statements whose
    // answers came in one socket read resolve together, their writers notify one after the
    // other in the same round of continuations, and their rows share the send. Not to the end
    // of the event loop's turn (setImmediate): whatever else that turn does (the start request's
    // HTTP answer, a consumer's bookkeeping) would then go first, on every hop of every saga.
    if (!this.sendSoon) {
      this.sendSoon = true;
      queueMicrotask(() => {
        if (this.sendSoon) this.dispatch();
      });
    }
  }

  private dispatch(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.sendSoon = false;
    if (this.dispatching || this.pending.size === 0) return;
    this.dispatching = true;
    // Deferred rows ride along with urgent rows to their destination, in the same request;
    // those of other destinations keep waiting, unless their deferral is up.
    const everything = this.deferredDue || this.flushing;
    const rows: OutboxRow[] = [];
    const kept = new Map<string, OutboxRow>();
    for (const [id, row] of this.pending) {
      if (everything || this.pendingPerDestination.has(destinationKey(row))) rows.push(row);
      else kept.set(id, row);
    }
    if (kept.size === 0) {
      clearTimeout(this.deferTimer);
      this.deferTimer = undefined;
      this.deferredDue = false;
    }
    this.urgent = 0;
    this.pending = kept;
    this.pendingPerDestination = new Map();
    if (rows.length === 0) {
      this.dispatching = false;
      return;
    }
    void this.track(this.sendLeased(rows)).finally(() => {
      this.dispatching = false;
      this.kick();
    });
  }

  private track<T>(work: Promise<T>): Promise<T | undefined> {
    const guarded = work.catch((error: unknown) => {
      this.options.logger.error({ err: error }, "outbox dispatch failed; the poll will retry");
      return undefined;
    });
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
    return guarded;
  }

  /** Sends rows this process wrote and still holds the lease on; returns how many went out. */
  private async sendLeased(rows: readonly OutboxRow[]): Promise<number> {
    const { store, clock, metrics } = this.options;
    // Destinations are independent: their batches go at once, not one after the other.
    const results = await Promise.all(
      groupByDestination(rows).map(async (group) => {
        const result = await this.sendGroup(group);
        // Recorded as soon as this destination answered, so a later failure elsewhere
        // cannot keep these rows from being deleted.
        this.handOff.add(result.sentIds);
        return result;
      }),
    );
    let count = 0;
    const failures: SendFailure[] = [];
    for (const result of results) {
      count += result.sentIds.length;
      failures.push(...result.failures);
    }
    const parkings: OutboxParking[] = [];
    if (failures.length > 0) {
      const verdict = this.judge(failures, clock());
      await store.reschedule(verdict.retries);
      metrics.commits++;
      parkings.push(...verdict.parkings);
    }
    this.scheduleDeletes();
    await this.park(parkings);
    metrics.relayBatchSent?.(count);
    return count;
  }

  /** Claims rows whose lease ran out and sends them; returns how many were sent. */
  async pollOnce(): Promise<number> {
    const { store, batchSize, clock, metrics } = this.options;
    // Look first without a transaction: an idle relay should not write or commit.
    if (!(await store.anyDue(clock()))) return 0;
    let wrote = false;
    const parkings: OutboxParking[] = [];
    const now = clock();
    const sent = await store.claimDue(now, batchSize, async (rows, trx) => {
      let count = 0;
      for (const group of groupByDestination(rows)) {
        const { sentIds, failures } = await this.sendGroup(group);
        if (sentIds.length > 0) await store.deleteRows(sentIds, trx);
        const verdict = this.judge(failures, now);
        await store.reschedule(verdict.retries, trx);
        parkings.push(...verdict.parkings);
        wrote = true;
        count += sentIds.length;
      }
      return count;
    });
    if (wrote) metrics.commits++;
    if (sent > 0) metrics.relayBatchSent?.(sent);
    // After the claim's commit: parking locks the owner's rows (a saga instance), which must
    // not wait while this transaction holds outbox rows another writer may be deleting.
    await this.park(parkings);
    return sent;
  }

  /**
   * Splits failures into retries with a growing delay and rows to park. A row to park is also
   * rescheduled, so that until its parking commits no poll claims it again at once.
   */
  private judge(
    failures: readonly SendFailure[],
    now: Date,
  ): { retries: OutboxRetry[]; parkings: OutboxParking[] } {
    const retries: OutboxRetry[] = [];
    const parkings: OutboxParking[] = [];
    const { retryBaseDelayMs, retryMaxDelayMs, random, maxAttempts } = this.options;
    for (const { row, code, message, permanent, refusedAsInvalid } of failures) {
      const attempts = row.attempts + 1;
      // Equal jitter: half the capped exponential delay, plus up to as much again at random, so
      // the rows of one outage do not all come back at the same instant.
      const capped = Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.min(row.attempts, 30));
      const delayMs = Math.round(capped / 2 + (random() * capped) / 2);
      const error = `${code}: ${message}`;
      const park = permanent || (refusedAsInvalid && attempts >= maxAttempts);
      this.options.logger.error(
        {
          table: this.options.name,
          outboxId: row.id,
          destination: row.destination,
          code,
          attempts,
          ...(park ? { parked: true } : { retryInMs: delayMs }),
          transient: !permanent && !refusedAsInvalid,
        },
        `outbox message not accepted: ${message}`,
      );
      retries.push({ row, error, retryAt: new Date(now.getTime() + delayMs) });
      if (park) {
        parkings.push({
          row: { ...row, attempts },
          reason: permanent
            ? `${error} (refused before sending; it can never be sent as it is)`
            : `${error} (refused ${attempts} times)`,
        });
      }
    }
    return { retries, parkings };
  }

  private async park(parkings: readonly OutboxParking[]): Promise<void> {
    if (parkings.length === 0) return;
    await this.options.store.park(parkings, this.options.clock());
  }

  private scheduleDeletes(): void {
    if (this.handOff.pending === 0) return;
    this.deleteTimer ??= setTimeout(() => {
      this.deleteTimer = undefined;
      void this.track(this.flushDeletes());
    }, this.options.deleteDelayMs);
  }

  /** Deletes the rows sent and not yet deleted by anyone's transaction. */
  private async flushDeletes(): Promise<void> {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const ids = this.handOff.take();
    if (ids.length === 0) return;
    try {
      await this.options.store.deleteRows(ids);
      this.options.metrics.commits++;
    } catch (error) {
      this.handOff.giveBack(ids);
      throw error;
    }
  }

  private requireSns(): SNSClient {
    if (!this.options.sns)
      throw MessagingErrors.create(
        MessagingErrorCode.relayMisconfigured,
        `${this.options.name} holds SNS rows but the relay has no SNS client: pass \`sns\` to the relay.`,
      );
    return this.options.sns;
  }

  /**
   * Sends one destination's rows. Each message is checked alone first, so one that AWS would
   * refuse (too large, too many attributes, bad characters) fails alone instead of failing the
   * whole batch and holding back every other saga's message in it.
   */
  private async sendGroup(
    rows: readonly OutboxRow[],
  ): Promise<{ sentIds: string[]; failures: SendFailure[] }> {
    const first = rows[0] as OutboxRow;
    const limit =
      first.kind === "sqs" ? AwsLimits.sqsMaxMessageBytes : AwsLimits.snsMaxMessageBytes;
    const failures: SendFailure[] = [];
    const sendable: { row: OutboxRow; message: OutgoingMessage; size: number }[] = [];
    // The poll's rows come this way too: those nobody receives are done without a request.
    const unread: string[] = [];
    for (const row of rows) {
      if (this.options.unread?.(row)) {
        unread.push(String(row.id));
        continue;
      }
      const { transport: _transport, ...message } = row.message;
      try {
        const [size] = checkMessages([message], limit, first.destination);
        sendable.push({ row, message, size: size ?? 0 });
      } catch (error) {
        failures.push({
          row,
          code: (error as { code?: string }).code ?? "SEND_REFUSED",
          message: (error as Error).message,
          permanent: true,
          refusedAsInvalid: true,
        });
      }
    }
    if (sendable.length === 0) return { sentIds: unread, failures };
    const messages = sendable.map((entry) => entry.message);
    // Checked one by one above: the producer need not scan every body a second time.
    const sizes = sendable.map((entry) => entry.size);
    let report: BatchReport;
    try {
      report =
        first.kind === "sqs"
          ? await sendToQueue(this.options.sqs, first.destination, messages, sizes)
          : await publishToTopic(this.requireSns(), first.destination, messages, sizes);
    } catch (error) {
      // The broker could not be reached (or refused the call as a whole): every row is retried.
      report = {
        sent: [],
        failed: sendable.map((_, index) => ({
          index,
          code: (error as { code?: string }).code ?? "SEND_FAILED",
          message: (error as Error).message,
          senderFault: (error as { $fault?: string }).$fault === "client",
        })),
        calls: 0,
      };
    }
    for (const failure of report.failed) {
      failures.push({
        row: (sendable[failure.index] as { row: OutboxRow }).row,
        code: failure.code,
        message: failure.message,
        permanent: false,
        refusedAsInvalid: failure.senderFault && !THROTTLING.test(failure.code),
      });
    }
    return {
      // pg returns bigint ids as strings, PGlite as numbers: one form for callers to compare.
      sentIds: [
        ...unread,
        ...report.sent.map((entry) => String((sendable[entry.index] as { row: OutboxRow }).row.id)),
      ],
      failures,
    };
  }
}

function destinationKey(row: OutboxRow): string {
  return `${row.kind} ${row.destination}`;
}

function groupByDestination(rows: readonly OutboxRow[]): OutboxRow[][] {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const key = destinationKey(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

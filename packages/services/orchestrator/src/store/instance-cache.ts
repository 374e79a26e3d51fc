// The instances a replica is working on, kept between their events so the common case needs no read.
import { TERMINAL_STATUSES } from "@sagaworks/saga-engine";
import type { SagaInstance } from "./instances.ts";

/** How many instances a replica keeps by default: more than it can have in flight at once. */
export const DEFAULT_INSTANCE_CACHE_SIZE = 10_000;

/**
 * A bounded cache of in-progress instances, least recently used out first; a finished saga is
 * dropped. An entry may be stale (another replica, an operator or the outbox's parking wrote the
 * row since): every write is conditioned on the revision the entry holds, so a stale entry costs
 * one failed statement and a read, never a wrong write.
 */
export class InstanceCache {
  private readonly entries = new Map<string, SagaInstance>();
  private readonly capacity: number;

  constructor(capacity = DEFAULT_INSTANCE_CACHE_SIZE) {
    this.capacity = capacity;
  }

  get(id: string): SagaInstance | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      // Map keeps insertion order: moving the entry to the end makes the first one the coldest.
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Keeps the instance as written; a finished one is dropped instead (no event will follow). */
  set(instance: SagaInstance): void {
    this.entries.delete(instance.id);
    if (TERMINAL_STATUSES.includes(instance.status)) return;
    this.entries.set(instance.id, instance);
    if (this.entries.size > this.capacity) {
      const coldest = this.entries.keys().next().value;
      if (coldest !== undefined) this.entries.delete(coldest);
    }
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Runs work for one key after the work already queued for it: one write in flight per saga in
 * this process, so a replica never races itself on a revision.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

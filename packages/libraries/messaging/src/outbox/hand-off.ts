import type { Knex } from "@sagaworks/platform";

/**
 * Deletes rows of an outbox table: the one piece of SQL the hand-off needs, supplied by the
 * table's owner (an `OutboxStore`).
 */
export interface SentRowDeleter {
  /** Deletes these rows, inside `trx` when given; ids the table no longer holds are ignored. */
  deleteRows(ids: readonly string[], trx?: Knex): Promise<void>;
}

/**
 * The hand-off of sent outbox rows from the relay to the writer's next transaction.
 *
 * The relay sends rows without a transaction (they are leased to this process), so each sent
 * row still has to be deleted. Rather than commit a delete of its own, the relay leaves the ids
 * here and the writer's next transaction deletes them on its way, which costs no extra commit.
 * If that transaction fails, the ids come back here and the relay's own timer deletes them.
 *
 * Create it first and give the same instance to the relay and to whoever writes the outbox, so
 * neither needs a reference to the other.
 */
export class OutboxHandOff {
  private sent: string[] = [];
  private readonly deleter: SentRowDeleter;
  private onReturned: (() => void) | undefined;

  constructor(deleter: SentRowDeleter) {
    this.deleter = deleter;
  }

  /** Records rows the relay has sent and not yet deleted. */
  add(ids: readonly string[]): void {
    if (ids.length > 0) this.sent.push(...ids);
  }

  /** Whether sent rows wait for a delete. */
  get pending(): number {
    return this.sent.length;
  }

  /**
   * Takes the ids of rows sent but not yet deleted, for a transaction about to commit anyway.
   * Return them with {@link giveBack} if that transaction fails.
   */
  take(): string[] {
    const ids = this.sent;
    this.sent = [];
    return ids;
  }

  /** Returns ids taken with {@link take} whose delete did not commit. */
  giveBack(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.sent.push(...ids);
    this.onReturned?.();
  }

  /** Called when ids come back, so the relay can schedule a delete of its own (one listener). */
  whenReturned(listener: () => void): void {
    this.onReturned = listener;
  }

  /**
   * Runs `work` in one transaction of `knex` that first deletes the rows sent since the last
   * one. If the transaction fails the ids are given back and the error is rethrown; a caller
   * that runs it again gets them again, so a sent row is deleted by exactly one commit.
   */
  async transaction<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.transactionDeletingIn(knex, async (trx, ids) => {
      if (ids.length > 0) await this.deleter.deleteRows(ids, trx);
      return work(trx);
    });
  }

  /**
   * Gives `work` the rows sent since the last hand-off, for a statement (committed whole) that
   * deletes them on its way (a data-modifying CTE). `work` must delete `sentIds` whenever it
   * returns; if it throws they are given back, so a sent row is deleted by exactly one commit.
   */
  async statementDeletingIn<T>(work: (sentIds: readonly string[]) => Promise<T>): Promise<T> {
    const ids = this.take();
    try {
      return await work(ids);
    } catch (error) {
      this.giveBack(ids);
      throw error;
    }
  }

  /**
   * Like {@link statementDeletingIn}, but `work` runs in one transaction of `knex`, and deletes
   * the sent rows in a statement it runs anyway (a data-modifying CTE on its first one), which
   * saves a round trip. `work` must delete `sentIds` on every path that commits; if the
   * transaction fails they are given back.
   */
  async transactionDeletingIn<T>(
    knex: Knex,
    work: (trx: Knex.Transaction, sentIds: readonly string[]) => Promise<T>,
  ): Promise<T> {
    const ids = this.take();
    try {
      return await knex.transaction((trx) => work(trx, ids));
    } catch (error) {
      this.giveBack(ids);
      throw error;
    }
  }
}

// Every statement on saga_inbox.
import type { Knex } from "@sagaworks/platform";

/**
 * Records a delivered message's id in `trx`; false when it was recorded before (a duplicate).
 * The primary key makes a concurrent copy wait for the first transaction and then insert
 * nothing, so a reply is applied once whatever replica receives it.
 */
export async function recordDelivery(
  trx: Knex,
  messageId: string,
  sagaId: string,
  now: Date,
): Promise<boolean> {
  const inserted = await trx("saga_inbox")
    .insert({ message_id: messageId, saga_id: sagaId, received_at: now })
    .onConflict("message_id")
    .ignore()
    .returning("message_id");
  return inserted.length > 0;
}

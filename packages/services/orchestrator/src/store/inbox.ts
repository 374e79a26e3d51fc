// Every statement on saga_inbox.
import type { Knex } from "@sagaworks/platform";

/** Whether a message id was recorded (a refused copy of an applied message is a duplicate). */
export async function wasDelivered(knex: Knex, messageId: string): Promise<boolean> {
  const row = await knex("saga_inbox").where({ message_id: messageId }).first("message_id");
  return row !== undefined;
}

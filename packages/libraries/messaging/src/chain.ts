// Chained steps: a command may carry the commands that follow it (its `chain`). The participant
// that answers it with one of the next link's `after` names sends that next command itself,
// carrying its own signed reply along, instead of replying to the orchestrator; the last link
// (or the first that answers otherwise) replies with every earlier answer attached. A saga of
// three steps then costs three commands and one reply instead of three of each.
//
// Everything here is a pure function of the command received and the reply to it, so a
// duplicate of the command (whose stored reply is sent again) sends the same next command,
// under the same message id and idempotency key, and the chain runs on from there exactly once.
import {
  type CarriedReply,
  type ChainLink,
  type CommandEnvelope,
  type CommandInput,
  createCommandEnvelope,
} from "./envelope.ts";
import { AwsLimits } from "./limits.ts";

/**
 * The largest forwarded command (body and attributes, as SQS counts them) a participant sends
 * along a chain, and the bound the orchestrator's engine keeps a chain's first command under.
 * Each forwarded command carries every earlier answer, and the chain's last answer carries them
 * all again with its own; stopping at half of SQS's limit leaves that answer the other half. A
 * participant whose next command would be larger answers the orchestrator instead, which sends
 * the next command itself.
 */
export const CHAIN_FORWARD_MAX_BYTES = AwsLimits.sqsMaxMessageBytes / 2;

/** The next link's command, to be signed with the command key and sent to `service`. */
export interface NextInChain {
  service: string;
  command: CommandEnvelope;
}

/**
 * The command to send instead of replying, when `reply` (this participant's own answer to
 * `command`, signed, without earlier answers) is one the chain's next link waits for; null
 * when the answer goes back to the orchestrator (see `repliesCarried` for what it carries).
 */
export function nextInChain(
  command: CommandEnvelope,
  reply: CarriedReply,
  now: () => Date = () => new Date(),
): NextInChain | null {
  if (command.compensation) return null;
  const link = command.chain?.[0];
  if (!link?.after.includes(reply.name)) return null;
  const answered: CarriedReply[] = [...(command.carried ?? []), reply];
  const rest = (command.chain as ChainLink[]).slice(1);
  const next: CommandInput = {
    messageId: link.messageId,
    name: link.command,
    sagaId: command.sagaId,
    sagaName: command.sagaName,
    sagaVersion: command.sagaVersion,
    step: link.step,
    attempt: 1,
    compensation: false,
    idempotencyKey: link.idempotencyKey,
    replyTo: command.replyTo,
    causationId: command.messageId,
    payload: chainPayload(link, answered),
    trace: reply.trace,
    carried: answered,
    ...(rest.length > 0 ? { chain: rest } : {}),
  };
  return { service: link.service, command: createCommandEnvelope(next, now) };
}

/** The earlier links' answers a reply to `command` carries back to the orchestrator. */
export function repliesCarried(command: CommandEnvelope): CarriedReply[] | undefined {
  return command.compensation ? undefined : command.carried;
}

/**
 * A link's payload: its fixed part with each hole filled from the named step's reply. A value
 * the reply lacks leaves an object's field out and an array's item null, as the orchestrator's
 * own mapping does for a path that is missing.
 */
export function chainPayload(
  link: Pick<ChainLink, "payload" | "holes">,
  replies: readonly Pick<CarriedReply, "step" | "payload">[],
): Record<string, unknown> {
  const payload = structuredClone(link.payload);
  for (const hole of link.holes) {
    const reply = replies.find((candidate) => candidate.step === hole.step);
    const value = reply === undefined ? undefined : valueAt(reply.payload, hole.path);
    place(payload, hole.at, value);
  }
  return payload;
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let current = root;
  for (const segment of path) {
    // Own properties only, as the orchestrator's mapping reads them.
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function place(root: Record<string, unknown>, at: ReadonlyArray<string | number>, value: unknown) {
  if (at.length === 0) return;
  let parent: unknown = root;
  for (const segment of at.slice(0, -1)) {
    if (parent === null || typeof parent !== "object" || !Object.hasOwn(parent, segment)) return;
    parent = (parent as Record<string | number, unknown>)[segment];
  }
  const last = at[at.length - 1] as string | number;
  if (Array.isArray(parent)) parent[last as number] = value === undefined ? null : value;
  else if (parent !== null && typeof parent === "object") {
    if (value !== undefined)
      Object.defineProperty(parent, last, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
}

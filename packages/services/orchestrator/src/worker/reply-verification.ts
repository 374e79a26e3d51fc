// Who may answer a step: a reply counts only when it is signed with the reply key of the
// participant that owns the step it answers, in the saga's own pinned definition (not in the
// definition the reply names, which the sender chose), and when it is fresh. Anyone who can write
// to the reply queue, another participant included, can then neither complete nor fail a step.
import {
  type CarriedReply,
  type ReplyEnvelope,
  type ReplyKeyring,
  signedMessageStaleness,
  verifyEnvelopeSignature,
} from "@sagaworks/messaging";
import type { CompiledSaga } from "@sagaworks/saga-definition";

/** What checks a reply: each participant's reply keys, and the clock its age is measured by. */
export interface ReplyChecks {
  keys: ReplyKeyring;
  clock: () => Date;
}

/**
 * Why this reply may not be applied to a saga of this definition, or undefined when it may. A
 * reply naming a step the saga does not have must still be signed by one of the saga's
 * participants (it is then counted as junk, as before).
 */
export function replyRefusal(
  reply: ReplyEnvelope,
  compiled: CompiledSaga,
  checks: ReplyChecks,
): string | undefined {
  // A chain's earlier answers: each must be its own participant's, for this very saga, as if
  // it had come alone (the last participant's signature over them proves only that it sent them).
  for (const [index, earlier] of (reply.carried ?? []).entries()) {
    if (earlier.sagaId !== reply.sagaId) {
      return `carried[${index}] answers saga ${earlier.sagaId}, not ${reply.sagaId} that the reply is for`;
    }
    const refused = ownRefusal(earlier, compiled, checks);
    if (refused) return `carried[${index}] (${earlier.name} for ${earlier.step}): ${refused}`;
  }
  return ownRefusal(reply, compiled, checks);
}

function ownRefusal(
  reply: CarriedReply,
  compiled: CompiledSaga,
  checks: ReplyChecks,
): string | undefined {
  const step = compiled.steps.find((candidate) => candidate.name === reply.step);
  if (step && step.action.kind !== "command" && step.action.kind !== "saga") {
    return `step ${step.name} of ${compiled.name} v${compiled.version} is an HTTP call to ${step.service}: no reply on the queue answers it`;
  }
  const owners = step
    ? answerersOf(step, reply.compensation)
    : [
        ...new Set(
          compiled.steps
            .filter((s) => s.action.kind === "command" || s.action.kind === "saga")
            .map((s) => s.service),
        ),
      ];
  let problem = "the saga has no participant that replies on the queue";
  let verified = false;
  for (const owner of owners) {
    const keys = checks.keys[owner];
    const mismatch = keys
      ? verifyEnvelopeSignature(reply, keys)
      : `the orchestrator has no reply key for ${owner}`;
    if (!mismatch) {
      verified = true;
      break;
    }
    problem = mismatch;
  }
  if (!verified) {
    return step
      ? `${problem} (checked with the reply ${owners.length === 1 ? "key" : "keys"} of ${owners.join(", ")}, which ${owners.length === 1 ? "answers" : "answer"} step ${step.name})`
      : `${problem} (checked with the reply keys of ${owners.join(", ")})`;
  }
  return signedMessageStaleness(reply.sentAt, checks.clock());
}

/**
 * Who may answer a step: its service; for a sub-saga step's compensation also the service of its
 * own compensating command (run once the child has ended past its pivot), besides the `sagas`
 * pseudo-participant whose key signs a child's answers.
 */
function answerersOf(step: CompiledSaga["steps"][number], compensation: boolean): string[] {
  const own = step.compensation?.service;
  return compensation && own && own !== step.service ? [step.service, own] : [step.service];
}

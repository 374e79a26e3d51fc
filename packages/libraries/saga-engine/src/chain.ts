// Chained steps. When a command step is followed by command steps whose payloads need nothing
// but what is known now and the replies of the steps before them in the run, the orchestrator
// sends the first command with the others attached: each participant sends the next command
// itself when its answer is a success, and only the last (or the first to answer otherwise)
// replies, carrying every earlier answer. The engine applies those answers one by one as if
// they had come separately, without sending the commands the participants already sent.
//
// What is certain does not change: each answer is matched to the attempt it answers, by its
// causation id, as any reply. What changes is what a silence means: while a chain is out, any of
// its steps may have run, so when the first step's attempts run out (or the saga's deadline
// passes), the outcome of the whole chain is unknown, and the saga takes the edge of the chain's
// last step (see `chainUnknownEdge`).
import {
  type CompiledSaga,
  type CompiledStep,
  evaluateMapping,
  type JsonValue,
  type MappingContext,
  type MappingExpr,
  stepStateId,
} from "@sagaworks/saga-definition";
import { commandMessageId } from "./command-id.ts";
import { actionKey } from "./keys.ts";
import type { ChainLinkEffect } from "./model.ts";

/** At most this many commands ride along with the first: bounds the message's size. */
export const MAX_CHAINED = 8;

type Hole = ChainLinkEffect["holes"][number];

/** The steps that may follow `step` in one chain, with their links, and the chain's timeout. */
export interface Chain {
  links: ChainLinkEffect[];
  /** The first step's timeout plus each link's: how long the whole chain may take. */
  timeoutMs: number;
}

/**
 * An upper bound of the bytes `value` takes in a message body as the transport writes it: JSON,
 * each half of a character outside the BMP escaped as `\uXXXX` (6 bytes), any other non-ASCII
 * character at most 3 bytes of UTF-8. Pure and cheap, so the engine can keep a chain's command
 * under the shell's limit without knowing its encoder.
 */
export function encodedSizeBound(value: unknown): number {
  const text = JSON.stringify(value) ?? "null";
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit >= 0xd800 && unit <= 0xdfff ? 6 : 3;
  }
  return bytes;
}

/** What bounds a chain besides its steps: see {@link chainAfter}. */
export interface ChainLimits {
  /**
   * The most the first command's payload and its links may take (by {@link encodedSizeBound});
   * undefined: no bound. A link that would pass it ends the chain before it.
   */
  maxBytes?: number | undefined;
  /** The first command's own payload, counted against `maxBytes`. */
  firstPayload?: unknown;
}

/**
 * The chain that starts at `step` (a command step on the forward line): the command steps that
 * follow it on success, as long as each is unconditional, outside parallel groups, maps its
 * payload from what is known now and the replies of the chain's earlier steps, and fits in
 * `limits.maxBytes` with the links before it. Null when no step can follow it.
 */
export function chainAfter(
  compiled: CompiledSaga,
  step: CompiledStep,
  sagaId: string,
  context: MappingContext,
  limits: ChainLimits = {},
): Chain | null {
  if (!isChainable(step)) return null;
  const links: ChainLinkEffect[] = [];
  const members = new Set([step.name]);
  let timeoutMs = step.timeoutMs;
  let previous = step;
  let bytes = limits.maxBytes === undefined ? 0 : encodedSizeBound(limits.firstPayload ?? {});
  while (links.length < MAX_CHAINED) {
    const next = successOf(compiled, previous);
    if (!next || !isChainable(next) || next.when || next.action.kind !== "command") break;
    const payload = partialPayload(next.action.payload, context, members);
    if (!payload) break;
    const key = actionKey(sagaId, next.name);
    const link: ChainLinkEffect = {
      step: next.name,
      service: next.service,
      command: next.action.command,
      idempotencyKey: key,
      messageId: commandMessageId(sagaId, key, 1),
      after: [...previous.outcomes.success],
      payload: payload.fixed,
      holes: payload.holes,
    };
    if (limits.maxBytes !== undefined) {
      // A command too large to send would park the saga; without this link the orchestrator
      // sends it itself once the step before answers.
      bytes += encodedSizeBound(link);
      if (bytes > limits.maxBytes) break;
    }
    links.push(link);
    members.add(next.name);
    timeoutMs += next.timeoutMs;
    previous = next;
  }
  return links.length === 0 ? null : { links, timeoutMs };
}

function isChainable(step: CompiledStep): boolean {
  return step.action.kind === "command" && step.branch === undefined;
}

function successOf(compiled: CompiledSaga, step: CompiledStep): CompiledStep | null {
  const state = compiled.states[stepStateId(step.name)];
  if (state?.type !== "step") return null;
  const next = compiled.states[state.onSuccess];
  if (next?.type !== "step") return null;
  return compiled.steps.find((candidate) => candidate.name === next.step) ?? null;
}

/**
 * A payload mapping evaluated as far as the context allows: every path that reads the reply of
 * one of `members` becomes a hole the participant fills. Null when a path reads anything else
 * of such a step (it cannot be known before the orchestrator has the reply), or when the
 * payload is not an object.
 */
function partialPayload(
  expr: MappingExpr,
  context: MappingContext,
  members: ReadonlySet<string>,
): { fixed: Record<string, JsonValue>; holes: Hole[] } | null {
  const holes: Hole[] = [];
  let chainable = true;
  const walk = (node: MappingExpr, at: Array<string | number>): unknown => {
    if ("ref" in node) {
      const [root, stepName, part, ...path] = node.ref;
      if (root === "steps" && typeof stepName === "string" && members.has(stepName)) {
        if (part !== "reply") chainable = false;
        else holes.push({ at, step: stepName, path });
        return undefined;
      }
      return evaluateMapping(node, context);
    }
    if ("literal" in node) return node.literal;
    if ("array" in node) {
      return node.array.map((item, index) => {
        const value = walk(item, [...at, index]);
        return value === undefined ? null : value;
      });
    }
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(node.object)) {
      const evaluated = walk(value, [...at, field]);
      if (evaluated !== undefined) out[field] = evaluated;
    }
    return out;
  };
  const fixed = walk(expr, []);
  if (!chainable || typeof fixed !== "object" || fixed === null || Array.isArray(fixed)) {
    return null;
  }
  return { fixed: fixed as Record<string, JsonValue>, holes };
}

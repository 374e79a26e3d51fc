// The message id of a command, derived from what identifies it. The engine is pure (no random
// ids), and the id must be known to the engine itself: the pending work records it, and a reply
// is applied only if its `causationId` names it.

/** 128 bits of a string: four 32-bit lanes, each a multiply-xor hash with its own seed. */
function hash128(text: string): number[] {
  const seeds = [0x811c9dc5, 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35];
  return seeds.map((seed, lane) => {
    let h = seed >>> 0;
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x01000193 + lane * 0x2f) >>> 0;
      h = (h ^ (h >>> 15)) >>> 0;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  });
}

/**
 * The message id of attempt `attempt` of the command with `idempotencyKey` in saga `sagaId`: a
 * UUID of version 8 (custom), the same whenever the same transition is computed again, and
 * different for every attempt, so a reply to an earlier attempt never matches a later one.
 */
export function commandMessageId(sagaId: string, idempotencyKey: string, attempt: number): string {
  const hex = hash128(`${sagaId}\u0000${idempotencyKey}\u0000${attempt}`)
    .map((lane) => lane.toString(16).padStart(8, "0"))
    .join("");
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

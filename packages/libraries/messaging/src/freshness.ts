// A valid signature proves who sent a message, not when it may be acted on. A signed command
// (or reply) captured from a queue or a DLQ export, and sent again after the receiver's inbox
// forgot it, would be verified and applied a second time. The signed send time closes that:
// a receiver refuses a message older than any redelivery or replay can make it, and this window
// is shorter than the inbox's, so whatever is still accepted is still deduplicated.

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * The longest a message can still arrive after it was sent: 14 days (SQS's longest retention,
 * which a dead-lettered message keeps counting from its first send) plus 4 days on its working
 * queue after a replay from the DLQ (the topology's default retention). 18 days.
 */
export const LONGEST_REDELIVERY_MS = 18 * DAY_MS;

/** Margin past the longest redelivery, for a replay that runs late and for clocks: 1 day. */
export const SIGNED_AGE_MARGIN_MS = DAY_MS;

/**
 * The oldest signed message a receiver accepts: the longest redelivery plus the margin, 19 days.
 * Below the participants' inbox retention (21 days, which is derived from the same figure), so
 * an accepted duplicate always finds its inbox row.
 */
export const SIGNED_MAX_AGE_MS = LONGEST_REDELIVERY_MS + SIGNED_AGE_MARGIN_MS;

/**
 * How far ahead of the receiver's clock a sender's clock may run: 5 minutes. A message dated
 * further ahead is refused too: it would otherwise stay fresh past the inbox window.
 */
export const SIGNED_MAX_CLOCK_SKEW_MS = 5 * MINUTE_MS;

function duration(ms: number): string {
  if (ms >= DAY_MS) return `${(ms / DAY_MS).toFixed(1).replace(/\.0$/, "")} days`;
  if (ms >= MINUTE_MS) return `${Math.round(ms / MINUTE_MS)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Why a signed message sent at `sentAt` is not fresh at `now`, or undefined when it is: older
 * than {@link SIGNED_MAX_AGE_MS}, or dated more than {@link SIGNED_MAX_CLOCK_SKEW_MS} ahead.
 * Check it after the signature, which is what makes `sentAt` trustworthy.
 */
export function signedMessageStaleness(sentAt: string, now: Date): string | undefined {
  const age = now.getTime() - Date.parse(sentAt);
  if (Number.isNaN(age)) return `its send time ${sentAt} is not a time`;
  if (age > SIGNED_MAX_AGE_MS) {
    return `it was signed ${duration(age)} ago (at ${sentAt}), longer than any redelivery or replay allows (${duration(SIGNED_MAX_AGE_MS)}): an old message sent again`;
  }
  if (-age > SIGNED_MAX_CLOCK_SKEW_MS) {
    return `it is dated ${duration(-age)} in the future (at ${sentAt}), more than the ${duration(SIGNED_MAX_CLOCK_SKEW_MS)} of clock skew allowed: the sender's clock runs ahead`;
  }
  return undefined;
}

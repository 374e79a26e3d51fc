// Proof of origin for commands and replies: an HMAC over the envelope. Commands carry the key the
// orchestrator and its participants share, so whoever can write to a command queue cannot make a
// service act; replies carry a key of the participant's own, so whoever can write to the reply
// queue cannot complete or fail a step, and one participant cannot answer for another.
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { CommandEnvelope, ReplyEnvelope } from "./envelope.ts";
import { MessagingErrorCode, MessagingErrors } from "./errors.ts";
import { wasUpgradedFromFlatLayout } from "./legacy/flat-layout.ts";

/** The envelopes that are signed: commands (by the orchestrator) and replies (by participants). */
export type SignedEnvelope = CommandEnvelope | ReplyEnvelope;

const SIGNATURE_VERSION = "v1";

/**
 * The keys that sign and verify messages: `current` signs; `current` and every `previous` key
 * verify, so a key can be rotated without a flag day (add the new one as current and keep the
 * old one as previous until every message it signed is gone).
 */
export interface SigningKeys {
  current: string;
  previous?: readonly string[];
}

/** The keys of commands, shared by the orchestrator and every participant. */
export type CommandKeys = SigningKeys;

// Keys sorted at every level, so the signature does not depend on the order a sender or a JSON
// round trip (jsonb) wrote them in. Recursive: callers catch the RangeError of absurd nesting.
// Built by concatenation, without intermediate arrays, because every command and reply is
// canonicalised when it is signed and again when it is verified. `omit` leaves out one key of
// the outermost object only (the signature itself), so the envelope need not be copied first.
function canonicalJson(value: unknown, omit?: string): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      // A hole stays empty, as Array.prototype.map and join leave it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let out = "{";
  for (const key of keys) {
    if (key === omit) continue;
    const field = record[key];
    if (field === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${quotedKey(key)}:${canonicalJson(field)}`;
  }
  return `${out}}`;
}

/** Insertion sort below this many keys: faster than Array.prototype.sort on an envelope's few. */
const FEW_KEYS = 24;

// In the order of the default sort, which compares UTF-16 code units as `<` on strings does.
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  if (keys.length > FEW_KEYS) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

// The same field names come in every message: their JSON form is kept, up to a bound in number
// and length, so that keys a payload makes up (ids as keys) cannot grow it without end.
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 1024;
const MAX_QUOTED_KEY_LENGTH = 64;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS && key.length <= MAX_QUOTED_KEY_LENGTH) {
      quotedKeys.set(key, quoted);
    }
  }
  return quoted;
}

/** What the sender signed: the envelope as it was written, before any upgrade on arrival. */
function signedContent(envelope: SignedEnvelope): object {
  if (envelope.kind === "command" && envelope.compensation && wasUpgradedFromFlatLayout(envelope)) {
    const { actionKey: _derivedOnArrival, ...asWritten } = envelope;
    return asWritten;
  }
  return envelope;
}

/** What the HMAC covers: the envelope as its sender wrote it, without its signature. */
function signedText(envelope: SignedEnvelope): string {
  return canonicalJson(signedContent(envelope), "signature");
}

// Node turns a string key into a key object on every createHmac; the few keys a process has
// (its command keys, and a reply key per participant) are turned once instead. Bounded so that a
// caller passing ever new keys cannot grow it without end.
const secretKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 64;

function secretKey(key: string): KeyObject {
  let secret = secretKeys.get(key);
  if (!secret) {
    if (secretKeys.size >= MAX_CACHED_KEYS) secretKeys.clear();
    secret = createSecretKey(key, "utf8");
    secretKeys.set(key, secret);
  }
  return secret;
}

function hmac(text: string, key: string): Buffer {
  return createHmac("sha256", secretKey(key)).update(text).digest();
}

/**
 * Returns the command or reply with its `signature` over every other field (`sentAt` included,
 * which makes its age trustworthy), made with `keys.current`.
 */
export function signEnvelope<Signed extends SignedEnvelope>(
  envelope: Signed,
  keys: SigningKeys,
): Signed {
  return {
    ...envelope,
    signature: `${SIGNATURE_VERSION}:${hmac(signedText(envelope), keys.current).toString("base64url")}`,
  };
}

/**
 * Checks a command's or reply's signature against every key (current, then previous) in
 * constant time. Returns undefined when one matches, else why not: missing, malformed, or made
 * with another key or over other content (a forged or altered message). A command decoded from
 * the flat layout is checked over what its sender signed, so it still passes after the decoder
 * upgraded it; pass the object the decoder returned, not a copy.
 */
export function verifyEnvelopeSignature(
  envelope: SignedEnvelope,
  keys: SigningKeys,
): string | undefined {
  const what = envelope.kind;
  if (!envelope.signature) return `the ${what} is not signed`;
  const [version, encoded] = envelope.signature.split(":", 2);
  if (version !== SIGNATURE_VERSION || !encoded) {
    return `the signature is not in the ${SIGNATURE_VERSION}:<base64url> form`;
  }
  const given = Buffer.from(encoded, "base64url");
  let matched = false;
  try {
    const text = signedText(envelope);
    for (const key of [keys.current, ...(keys.previous ?? [])]) {
      const expected = hmac(text, key);
      // Every key is tried, so the time taken does not say which one (if any) matched.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
  } catch (error) {
    return `the ${what} cannot be verified (${(error as Error).message})`;
  }
  return matched ? undefined : "the signature does not match: forged, altered, or an unknown key";
}

/** The command key a development process uses when none is configured. Never deploy it. */
export const DEV_COMMAND_KEY = "sagaworks-dev-command-key-not-secret";

/**
 * Environment fields of the command keys, shared by the orchestrator and every participant.
 * Spread into a process's config schema and read with {@link commandKeysFromConfig}.
 */
export const commandKeysConfigShape = {
  /** Key that signs (orchestrator) and verifies (participants) commands; at least 32 characters. */
  COMMAND_SIGNING_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  /** Earlier keys still accepted while a rotation is under way, comma-separated; default none. */
  COMMAND_SIGNING_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? "")
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .refine((keys) => keys.every((key) => key.length >= 32), {
      message: "every key must be at least 32 characters",
    }),
};

/**
 * The command keys from a config: the configured ones, else {@link DEV_COMMAND_KEY} on the
 * development default (`SAGAWORKS_BROKER=embedded`); a process on AWS must configure a key.
 */
export function commandKeysFromConfig(
  config: {
    COMMAND_SIGNING_KEY?: string | undefined;
    COMMAND_SIGNING_PREVIOUS_KEYS: readonly string[];
  },
  development: boolean,
): CommandKeys {
  const current = config.COMMAND_SIGNING_KEY ?? (development ? DEV_COMMAND_KEY : undefined);
  if (!current) {
    // A start-up error: the process runner logs it as fatal and exits 1.
    throw MessagingErrors.create(
      MessagingErrorCode.signingKeyMissing,
      "COMMAND_SIGNING_KEY is required outside development (SAGAWORKS_ENV=dev or SAGAWORKS_BROKER=embedded): set the same secret (at least 32 characters) on the orchestrator and every participant.",
    );
  }
  return { current, previous: config.COMMAND_SIGNING_PREVIOUS_KEYS };
}

/**
 * The reply key a participant signs with in development when none is configured: one per
 * participant, so development catches a reply checked against the wrong participant's key too.
 * Never deploy it.
 */
export function devReplyKey(participant: string): string {
  return `sagaworks-dev-reply-key-${participant}-not-secret`;
}

/** Per participant (service name), the keys its replies are verified with. */
export type ReplyKeyring = Readonly<Record<string, SigningKeys>>;

/** The development keyring: {@link devReplyKey} for each participant. */
export function devReplyKeyring(participants: readonly string[]): ReplyKeyring {
  return Object.fromEntries(participants.map((name) => [name, { current: devReplyKey(name) }]));
}

const KEY_RULE = "must be at least 32 characters";

/**
 * Environment field of a participant's reply key. Spread into its config schema and read with
 * {@link replyKeyFromConfig}.
 */
export const replyKeyConfigShape = {
  /** Key this participant signs its replies with, its own (not shared); at least 32 characters. */
  REPLY_SIGNING_KEY: z.string().min(32, KEY_RULE).optional(),
};

/**
 * A participant's reply key from its config: the configured one, else {@link devReplyKey} in
 * development; required elsewhere.
 */
export function replyKeyFromConfig(
  config: { REPLY_SIGNING_KEY?: string | undefined },
  participant: string,
  development: boolean,
): SigningKeys {
  const current = config.REPLY_SIGNING_KEY ?? (development ? devReplyKey(participant) : undefined);
  if (!current) {
    throw MessagingErrors.create(
      MessagingErrorCode.signingKeyMissing,
      `REPLY_SIGNING_KEY is required outside development (SAGAWORKS_ENV=dev or SAGAWORKS_BROKER=embedded): set a secret of ${participant}'s own (at least 32 characters), and the same as ${participant}=<key> in the orchestrator's REPLY_SIGNING_KEYS.`,
    );
  }
  return { current };
}

/** Parses `name=key,name=key`; a name may repeat (previous keys) when `repeat` is true. */
const keysByParticipant = (repeat: boolean) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      const keys: Record<string, string[]> = {};
      for (const entry of (text ?? "")
        .split(",")
        .map((e) => e.trim())
        .filter(Boolean)) {
        const at = entry.indexOf("=");
        const name = entry.slice(0, Math.max(at, 0)).trim();
        const key = entry.slice(at + 1).trim();
        if (at <= 0 || !key) {
          ctx.addIssue({ code: "custom", message: `an entry is not participant=key` });
        } else if (key.length < 32) {
          ctx.addIssue({ code: "custom", message: `the key of ${name} ${KEY_RULE}` });
        } else if (keys[name] && !repeat) {
          ctx.addIssue({ code: "custom", message: `${name} is named twice` });
        } else {
          keys[name] = [...(keys[name] ?? []), key];
        }
      }
      return keys;
    });

/**
 * Environment fields of the orchestrator's reply keyring. Spread into its config schema and read
 * with {@link replyKeyringFromConfig}. Entries are never echoed in errors: they are secrets.
 */
export const replyKeyringConfigShape = {
  /** Each participant's current reply key: `order=<key>,account=<key>`; default none. */
  REPLY_SIGNING_KEYS: keysByParticipant(false),
  /**
   * Earlier reply keys still accepted while a participant's key is rotated, `order=<old key>`;
   * a participant may be named more than once. Default none.
   */
  REPLY_SIGNING_PREVIOUS_KEYS: keysByParticipant(true),
};

/**
 * The orchestrator's reply keyring for these participants: the configured keys, else (in
 * development only) each one's {@link devReplyKey}. Outside development every participant must
 * have a key; the error names the ones without.
 */
export function replyKeyringFromConfig(
  config: {
    REPLY_SIGNING_KEYS: Readonly<Record<string, readonly string[]>>;
    REPLY_SIGNING_PREVIOUS_KEYS: Readonly<Record<string, readonly string[]>>;
  },
  participants: readonly string[],
  development: boolean,
): ReplyKeyring {
  const keyring: Record<string, SigningKeys> = {};
  const missing: string[] = [];
  for (const name of participants) {
    const current =
      config.REPLY_SIGNING_KEYS[name]?.[0] ?? (development ? devReplyKey(name) : undefined);
    if (!current) missing.push(name);
    else keyring[name] = { current, previous: config.REPLY_SIGNING_PREVIOUS_KEYS[name] ?? [] };
  }
  if (missing.length > 0) {
    // A start-up error: the process runner logs it as fatal and exits 1.
    throw MessagingErrors.create(
      MessagingErrorCode.signingKeyMissing,
      `REPLY_SIGNING_KEYS has no key for ${missing.join(", ")}, which answer saga commands: outside development (SAGAWORKS_ENV=dev or SAGAWORKS_BROKER=embedded) set REPLY_SIGNING_KEYS=${missing.map((name) => `${name}=<key>`).join(",")}, each the REPLY_SIGNING_KEY of that participant (at least 32 characters).`,
    );
  }
  return keyring;
}

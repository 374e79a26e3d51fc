// Proof of origin for commands: an HMAC over the envelope with a key the orchestrator and its
// participants share, so whoever can write to a command queue cannot make a service act.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { CommandEnvelope } from "./envelope.ts";

const SIGNATURE_VERSION = "v1";

/**
 * The keys that sign and verify commands: `current` signs; `current` and every `previous` key
 * verify, so a key can be rotated without a flag day (add the new one as current and keep the
 * old one as previous until every message it signed is gone).
 */
export interface CommandKeys {
  current: string;
  previous?: readonly string[];
}

/**
 * Compensation commands the decoder upgraded from the flat layout (issue 8): their `actionKey`
 * was derived on arrival, so their signature covers the envelope without it. Kept here, out of
 * the envelope's fields, so that a sender cannot claim the exemption: only the decoder adds to
 * it, and a copy of the envelope (which lost the mark) fails verification rather than passing.
 */
const upgradedFromFlatLayout = new WeakSet<CommandEnvelope>();

/** Marks a command the decoder upgraded from the flat layout; see {@link verifyEnvelopeSignature}. */
export function markUpgradedFromFlatLayout(command: CommandEnvelope): void {
  upgradedFromFlatLayout.add(command);
}

// Keys sorted at every level, so the signature does not depend on the order a sender or a JSON
// round trip (jsonb) wrote them in. Recursive: callers catch the RangeError of absurd nesting.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** What the sender signed: the envelope as it was written, before any upgrade on arrival. */
function signedContent(command: CommandEnvelope): object {
  if (command.compensation && upgradedFromFlatLayout.has(command)) {
    const { actionKey: _derivedOnArrival, ...asWritten } = command;
    return asWritten;
  }
  return command;
}

function hmac(command: CommandEnvelope, key: string): Buffer {
  const { signature: _ignored, ...signed } = signedContent(command) as CommandEnvelope;
  return createHmac("sha256", key).update(canonicalJson(signed)).digest();
}

/** Returns the command with its `signature` over every other field, made with `keys.current`. */
export function signEnvelope<Command extends CommandEnvelope>(
  command: Command,
  keys: CommandKeys,
): Command {
  return {
    ...command,
    signature: `${SIGNATURE_VERSION}:${hmac(command, keys.current).toString("base64url")}`,
  };
}

/**
 * Checks a command's signature against every key (current, then previous) in constant time.
 * Returns undefined when one matches, else why not: missing, malformed, or made with another key
 * or over other content (a forged or altered message). A command decoded from the flat layout is
 * checked over what its sender signed, so it still passes after the decoder upgraded it; pass the
 * object the decoder returned, not a copy.
 */
export function verifyEnvelopeSignature(
  command: CommandEnvelope,
  keys: CommandKeys,
): string | undefined {
  if (!command.signature) return "the command is not signed";
  const [version, encoded] = command.signature.split(":", 2);
  if (version !== SIGNATURE_VERSION || !encoded) {
    return `the signature is not in the ${SIGNATURE_VERSION}:<base64url> form`;
  }
  const given = Buffer.from(encoded, "base64url");
  let matched = false;
  try {
    for (const key of [keys.current, ...(keys.previous ?? [])]) {
      const expected = hmac(command, key);
      // Every key is tried, so the time taken does not say which one (if any) matched.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
  } catch (error) {
    return `the command cannot be verified (${(error as Error).message})`;
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
    throw new Error(
      "COMMAND_SIGNING_KEY is required outside development (SAGAWORKS_ENV=dev or SAGAWORKS_BROKER=embedded): set the same secret (at least 32 characters) on the orchestrator and every participant.",
    );
  }
  return { current, previous: config.COMMAND_SIGNING_PREVIOUS_KEYS };
}

// Reading replies: what a reply means for a compensation, and the code and message it carries.
import type { CompiledStep, JsonValue } from "@sagaworks/saga-definition";
import { compensationDoneWithoutSuccessList } from "./legacy/compensation-without-success.ts";

export function isJsonObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether a reply completes a compensation: one the compiled compensation lists as success
 * (a definition compiled before that list existed: see legacy/).
 */
export function compensationDone(step: CompiledStep, reply: string): boolean {
  const success = (step.compensation as { success?: unknown } | null)?.success;
  if (Array.isArray(success)) return success.includes(reply);
  return compensationDoneWithoutSuccessList(reply);
}

/** The failure code a reply carries: `payload.code` when it has one, else its name. */
export function replyCode(name: string, payload: JsonValue): string {
  if (isJsonObject(payload) && typeof payload.code === "string") return payload.code;
  return name;
}

export function messageOf(payload: JsonValue, fallback: string): string {
  if (isJsonObject(payload) && typeof payload.message === "string") return payload.message;
  return fallback;
}

/** A mapping result as JSON: undefined (a missing optional path) becomes null. */
export function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (value as JsonValue);
}

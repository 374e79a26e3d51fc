// SQS's hot operations in the AWS JSON 1.0 protocol, for the direct path (transport.ts): the
// request is the input as JSON (the SDK's serialiser writes the same PascalCase members and
// omits undefined ones), the answer is the output's members as JSON.
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type DirectHooks, type DirectOperation, sendDirectly } from "./transport.ts";

function jsonOperation(name: string): DirectOperation {
  return {
    name,
    encode: (input) =>
      plainJson(input)
        ? {
            body: JSON.stringify(input),
            headers: {
              "content-type": "application/x-amz-json-1.0",
              "x-amz-target": `AmazonSQS.${name}`,
              // As the SDK asks: error codes named as in the query protocol.
              "x-amzn-query-mode": "true",
            },
          }
        : undefined,
    decode(text) {
      const parsed: unknown = text.trim() === "" ? {} : JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("the body is not a JSON object");
      }
      const members = parsed as Record<string, unknown>;
      if (name === "ReceiveMessage") decodeBinaryAttributes(members);
      return members;
    },
  };
}

const OPERATIONS = new Map<object, DirectOperation>([
  [SendMessageBatchCommand, jsonOperation("SendMessageBatch")],
  [SendMessageCommand, jsonOperation("SendMessage")],
  [ReceiveMessageCommand, jsonOperation("ReceiveMessage")],
  [DeleteMessageBatchCommand, jsonOperation("DeleteMessageBatch")],
  [DeleteMessageCommand, jsonOperation("DeleteMessage")],
  [ChangeMessageVisibilityBatchCommand, jsonOperation("ChangeMessageVisibilityBatch")],
  [ChangeMessageVisibilityCommand, jsonOperation("ChangeMessageVisibility")],
]);

/**
 * Makes `client` send SQS's hot calls (send, receive, delete, visibility) on the direct path;
 * `hooks` are told of each attempt and each call handed to the SDK (`SQS.SendMessageBatch`).
 */
export function sendSqsHotCallsDirectly(client: SQSClient, hooks: DirectHooks): SQSClient {
  return sendDirectly(client, "SQS", OPERATIONS, hooks);
}

// The protocol writes blobs as base64; the SDK hands them out as bytes.
function decodeBinaryAttributes(output: Record<string, unknown>): void {
  const messages = output.Messages;
  if (!Array.isArray(messages)) return;
  for (const message of messages as { MessageAttributes?: Record<string, unknown> }[]) {
    for (const value of Object.values(message.MessageAttributes ?? {})) {
      const attribute = value as { BinaryValue?: unknown; BinaryListValues?: unknown };
      if (typeof attribute.BinaryValue === "string") {
        attribute.BinaryValue = Buffer.from(attribute.BinaryValue, "base64");
      }
      if (Array.isArray(attribute.BinaryListValues)) {
        attribute.BinaryListValues = attribute.BinaryListValues.map((item) =>
          typeof item === "string" ? Buffer.from(item, "base64") : item,
        );
      }
    }
  }
}

/**
 * Whether JSON.stringify writes `value` as the SDK's serialiser would: strings, finite numbers,
 * booleans, arrays and plain objects only. Bytes (binary attributes), dates and the like are
 * the SDK's to encode.
 */
function plainJson(value: unknown, depth = 0): boolean {
  if (value === undefined || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null || depth > 8) return false;
  if (Array.isArray(value)) return value.every((item) => plainJson(item, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value) {
    if (!plainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

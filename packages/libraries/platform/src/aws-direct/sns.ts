// SNS's one hot operation, PublishBatch, in the AWS query protocol for the direct path
// (transport.ts): a form-encoded request, an XML answer read with the SDK's own XML parser.
import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import { parseXML } from "@aws-sdk/xml-builder";
// The SDK's own query encoder (its query serializer calls this one), so values are escaped alike.
import { extendedEncodeURIComponent as encode } from "@smithy/core/protocols";
import { type DirectHooks, type DirectOperation, sendDirectly } from "./transport.ts";

/** The entry members this path writes; an entry with any other is the SDK's to write. */
const ENTRY_STRINGS = [
  "Id",
  "Message",
  "Subject",
  "MessageStructure",
  "MessageDeduplicationId",
  "MessageGroupId",
] as const;

function encodePublishBatch(input: unknown): string | undefined {
  const { TopicArn, PublishBatchRequestEntries, ...rest } = input as {
    TopicArn?: unknown;
    PublishBatchRequestEntries?: unknown;
  };
  if (Object.keys(rest).length > 0 || typeof TopicArn !== "string") return undefined;
  if (!Array.isArray(PublishBatchRequestEntries)) return undefined;
  const fields = [
    ["Action", "PublishBatch"],
    ["Version", "2010-03-31"],
    ["TopicArn", TopicArn],
  ];
  let n = 0;
  for (const entry of PublishBatchRequestEntries as Record<string, unknown>[]) {
    n += 1;
    const prefix = `PublishBatchRequestEntries.member.${n}`;
    for (const key of Object.keys(entry)) {
      const value = entry[key];
      if (value === undefined) continue;
      if ((ENTRY_STRINGS as readonly string[]).includes(key)) {
        if (typeof value !== "string") return undefined;
        fields.push([`${prefix}.${key}`, value]);
      } else if (key === "MessageAttributes") {
        if (typeof value !== "object" || value === null) return undefined;
        let m = 0;
        for (const [name, attribute] of Object.entries(value as Record<string, unknown>)) {
          const { DataType, StringValue, ...other } = (attribute ?? {}) as Record<string, unknown>;
          if (Object.keys(other).length > 0) return undefined;
          if (typeof DataType !== "string" || typeof StringValue !== "string") return undefined;
          m += 1;
          const at = `${prefix}.MessageAttributes.entry.${m}`;
          fields.push([`${at}.Name`, name], [`${at}.Value.DataType`, DataType]);
          fields.push([`${at}.Value.StringValue`, StringValue]);
        }
      } else return undefined;
    }
  }
  return fields
    .map(([key, value]) => `${encode(key as string)}=${encode(value as string)}`)
    .join("&");
}

/** A query-protocol list: absent or empty, one member, or several. */
function members(list: unknown): Record<string, string>[] {
  if (typeof list !== "object" || list === null) return [];
  const member = (list as { member?: unknown }).member;
  if (member === undefined) return [];
  return (Array.isArray(member) ? member : [member]) as Record<string, string>[];
}

const publishBatch: DirectOperation = {
  name: "PublishBatch",
  encode(input) {
    const body = encodePublishBatch(input);
    return body === undefined
      ? undefined
      : { body, headers: { "content-type": "application/x-www-form-urlencoded" } };
  },
  decode(text) {
    const root = parseXML(text) as {
      PublishBatchResponse?: { PublishBatchResult?: { Successful?: unknown; Failed?: unknown } };
    };
    const result = root.PublishBatchResponse?.PublishBatchResult;
    if (!result) throw new Error("no PublishBatchResponse/PublishBatchResult element");
    return {
      Successful: members(result.Successful).map((entry) => ({
        Id: entry.Id,
        MessageId: entry.MessageId,
        ...(entry.SequenceNumber !== undefined ? { SequenceNumber: entry.SequenceNumber } : {}),
      })),
      Failed: members(result.Failed).map((entry) => ({
        Id: entry.Id,
        Code: entry.Code,
        ...(entry.Message !== undefined ? { Message: entry.Message } : {}),
        SenderFault: entry.SenderFault === "true",
      })),
    };
  },
};

/**
 * Makes `client` send PublishBatch on the direct path; `hooks` are told of each attempt and each
 * call handed to the SDK (`SNS.PublishBatch`).
 */
export function publishBatchesDirectly(client: SNSClient, hooks: DirectHooks): SNSClient {
  return sendDirectly(client, "SNS", new Map([[PublishBatchCommand, publishBatch]]), hooks);
}

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, onAwsRequest } from "../aws-clients.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "../embedded-broker.ts";
import { PlatformErrorCode, PlatformErrors } from "../errors.ts";
import { closedPort, expectTheSdksError, failureOf } from "./test-helpers.ts";

let broker: EmbeddedBroker;
let clients: AwsClients;
// The SDK alone, for what the direct path must match.
let sdk: SQSClient;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  clients = createAwsClients({ endpoint: broker.endpoint });
  sdk = new SQSClient({
    region: "us-east-1",
    endpoint: broker.endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    md5: false,
  });
});

afterAll(async () => {
  clients?.destroy();
  sdk?.destroy();
  await broker?.stop();
});

async function queue(name: string): Promise<string> {
  const made = await sdk.send(new CreateQueueCommand({ QueueName: `${name}-${Date.now()}` }));
  return made.QueueUrl as string;
}

/** The output's members with the values that differ per call (ids, handles) replaced. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("base64") };
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === "$metadata") continue;
    if (/^(MessageId|ReceiptHandle|SequenceNumber)$/.test(key) || key.endsWith("Timestamp")) {
      out[key] = typeof field;
    } else if (key === "Attributes") {
      out[key] = Object.keys(field as object).sort();
    } else out[key] = shape(field);
  }
  return out;
}

describe("the direct path for hot SQS calls", () => {
  it("sends, receives and deletes with the SDK's output, counting one request per call", async () => {
    const url = await queue("direct-same");
    const seen: string[] = [];
    const stop = onAwsRequest(clients.sqs, "SQS", (api) => seen.push(api));
    try {
      const entries = [
        {
          Id: "a",
          MessageBody: '{"x":"é ✓ \\u0000"}',
          MessageAttributes: { t: { DataType: "String", StringValue: "v" } },
        },
        { Id: "b", MessageBody: "second", DelaySeconds: 0 },
      ];
      const direct = await clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }),
      );
      const viaSdk = await sdk.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }),
      );
      expect(shape(direct)).toEqual(shape(viaSdk));
      expect(direct.$metadata.httpStatusCode).toBe(200);
      expect(direct.Successful?.map((entry) => entry.Id).sort()).toEqual(["a", "b"]);

      const receive = {
        QueueUrl: url,
        MaxNumberOfMessages: 2,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["ApproximateReceiveCount" as const],
      };
      const fromDirect = await clients.sqs.send(new ReceiveMessageCommand(receive));
      const fromSdk = await sdk.send(new ReceiveMessageCommand(receive));
      const byBody = (out: typeof fromDirect) =>
        [...(out.Messages ?? [])].sort((x, y) => String(x.Body).localeCompare(String(y.Body)));
      expect(fromDirect.Messages).toHaveLength(2);
      expect(shape(byBody(fromDirect))).toEqual(shape(byBody(fromSdk)));
      expect(byBody(fromDirect).map((m) => m.Body)).toEqual(['{"x":"é ✓ \\u0000"}', "second"]);

      const deleted = await clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: (fromDirect.Messages ?? []).map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
          })),
        }),
      );
      expect(deleted.Successful).toHaveLength(2);
      expect(deleted.Failed ?? []).toEqual([]);
      // The SDK's client is not listened to: only the direct path's three calls count.
      expect(seen).toEqual([
        "SQS.SendMessageBatch",
        "SQS.ReceiveMessage",
        "SQS.DeleteMessageBatch",
      ]);
    } finally {
      stop();
    }
  });

  it("hands a binary attribute to the SDK to write, and reads it back as bytes", async () => {
    const url = await queue("direct-binary");
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "binary",
        MessageAttributes: { b: { DataType: "Binary", BinaryValue: bytes } },
      }),
    );
    const got = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    const value = got.Messages?.[0]?.MessageAttributes?.b?.BinaryValue;
    expect(value).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(value as Uint8Array)).toEqual(Buffer.from(bytes));
  });

  it("leaves an error answer to the SDK: the same error class, one more attempt counted", async () => {
    const missing = `${broker.endpoint}/000000000000/no-such-queue-${Date.now()}`;
    const seen: string[] = [];
    const stop = onAwsRequest(clients.sqs, "SQS", (api) => seen.push(api));
    try {
      const viaSdk = await failureOf(
        sdk.send(new SendMessageCommand({ QueueUrl: missing, MessageBody: "x" })),
      );
      const direct = await failureOf(
        clients.sqs.send(new SendMessageCommand({ QueueUrl: missing, MessageBody: "x" })),
      );
      expectTheSdksError(direct, viaSdk);
      // The direct attempt, then the SDK's own (it does not retry a missing queue).
      expect(seen).toEqual(["SQS.SendMessage", "SQS.SendMessage"]);
    } finally {
      stop();
    }
  });

  it("leaves an aborted long poll to the SDK, which throws its AbortError", async () => {
    const url = await queue("direct-abort");
    const abort = new AbortController();
    const poll = failureOf(
      clients.sqsReceive.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), {
        abortSignal: abort.signal,
      }),
    );
    setTimeout(() => abort.abort(), 100);
    const error = await poll;
    expect((error as Error | undefined)?.name).toBe("AbortError");
  });

  it("leaves a broker that is down to the SDK's retries and error", async () => {
    const port = await closedPort();
    const down = createAwsClients({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 });
    const seen: string[] = [];
    onAwsRequest(down.sqs, "SQS", (api) => seen.push(api));
    try {
      const error = await failureOf(
        down.sqs.send(
          new SendMessageCommand({ QueueUrl: `http://127.0.0.1:${port}/0/q`, MessageBody: "x" }),
        ),
      );
      expect(error).toBeInstanceOf(Error);
      expect(String((error as NodeJS.ErrnoException).code ?? (error as Error).message)).toMatch(
        /ECONNREFUSED/,
      );
      // One direct attempt, then the SDK's two.
      expect(seen).toEqual(["SQS.SendMessage", "SQS.SendMessage", "SQS.SendMessage"]);
    } finally {
      down.destroy();
    }
  });

  it("refuses a success whose body is not JSON, and does not send it again", async () => {
    let requests = 0;
    const odd = createServer((request, response) => {
      requests += 1;
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        response.end("<html>not the protocol</html>");
      });
    });
    await new Promise<void>((resolve) => odd.listen(0, "127.0.0.1", resolve));
    const port = (odd.address() as AddressInfo).port;
    const weird = createAwsClients({ endpoint: `http://127.0.0.1:${port}` });
    try {
      const error = await failureOf(
        weird.sqs.send(
          new SendMessageCommand({ QueueUrl: `http://127.0.0.1:${port}/0/q`, MessageBody: "x" }),
        ),
      );
      expect(PlatformErrors.is(error, PlatformErrorCode.awsResponseUnreadable)).toBe(true);
      expect(String((error as Error).message)).toMatch(/SendMessage answered 200/);
      expect(requests).toBe(1);
    } finally {
      weird.destroy();
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });
});

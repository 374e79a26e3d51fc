import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateTopicCommand,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, onAwsRequest } from "../aws-clients.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "../embedded-broker.ts";
import { expectTheSdksError, failureOf } from "./test-helpers.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let broker: EmbeddedBroker;
let clients: AwsClients;
// The SDK alone, for what the direct path must match.
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  clients = createAwsClients({ endpoint: broker.endpoint });
  sns = new SNSClient({ region: "us-east-1", endpoint: broker.endpoint, credentials });
  sqs = new SQSClient({ region: "us-east-1", endpoint: broker.endpoint, credentials });
});

afterAll(async () => {
  clients?.destroy();
  sns?.destroy();
  sqs?.destroy();
  await broker?.stop();
});

/** A topic with a raw-delivery queue subscribed, as the orchestrator's subscribers are. */
async function topicWithQueue(name: string): Promise<{ topicArn: string; queueUrl: string }> {
  const suffix = `${name}-${Date.now()}`;
  const topic = await sns.send(new CreateTopicCommand({ Name: suffix }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: suffix }));
  const queueUrl = queue.QueueUrl as string;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topic.TopicArn,
      Protocol: "sqs",
      Endpoint: attributes.Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  return { topicArn: topic.TopicArn as string, queueUrl };
}

async function receiveAll(queueUrl: string, count: number): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < 20 && got.length < count; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    got.push(...(out.Messages ?? []));
  }
  return got;
}

const delivered = (messages: Message[]) =>
  messages
    .map((m) => ({ body: m.Body, attributes: m.MessageAttributes }))
    .sort((a, b) => String(a.body).localeCompare(String(b.body)));

describe("PublishBatch on the direct path", () => {
  it("publishes what the SDK publishes, bodies and attributes, counting one request", async () => {
    const entries = (tag: string): PublishBatchRequestEntry[] => [
      {
        Id: "0",
        Message: `${tag} {"a":"x & y = z + 100% (!'*) é ✓ 😀"}`,
        MessageAttributes: {
          name: { DataType: "String", StringValue: "saga.completed" },
          "saga id": { DataType: "String", StringValue: "a/b?c=d" },
        },
      },
      { Id: "1", Message: `${tag} second`, Subject: "s & t" },
    ];
    const viaSdk = await topicWithQueue("direct-sns-sdk");
    const direct = await topicWithQueue("direct-sns-direct");
    const seen: string[] = [];
    const stop = onAwsRequest(clients.sns, "SNS", (api) => seen.push(api));
    try {
      const fromSdk = await sns.send(
        new PublishBatchCommand({
          TopicArn: viaSdk.topicArn,
          PublishBatchRequestEntries: entries("m"),
        }),
      );
      const fromDirect = await clients.sns.send(
        new PublishBatchCommand({
          TopicArn: direct.topicArn,
          PublishBatchRequestEntries: entries("m"),
        }),
      );
      expect(seen).toEqual(["SNS.PublishBatch"]);
      expect(fromDirect.Successful?.map((e) => e.Id).sort()).toEqual(["0", "1"]);
      expect(fromDirect.Failed).toEqual(fromSdk.Failed ?? []);
      expect(fromDirect.$metadata.httpStatusCode).toBe(200);
      const sdkMessages = delivered(await receiveAll(viaSdk.queueUrl, 2));
      const directMessages = delivered(await receiveAll(direct.queueUrl, 2));
      expect(directMessages).toHaveLength(2);
      expect(directMessages).toEqual(sdkMessages);
    } finally {
      stop();
    }
  });

  it("hands an entry with a binary attribute to the SDK", async () => {
    const { topicArn, queueUrl } = await topicWithQueue("direct-sns-binary");
    await clients.sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          {
            Id: "0",
            Message: "binary",
            MessageAttributes: { b: { DataType: "Binary", BinaryValue: Uint8Array.from([1, 2]) } },
          },
        ],
      }),
    );
    const [message] = await receiveAll(queueUrl, 1);
    expect(message?.Body).toBe("binary");
  });

  it("leaves an error answer to the SDK: the same error class, one more attempt counted", async () => {
    const missing = "arn:aws:sns:us-east-1:000000000000:no-such-topic";
    const entries = [{ Id: "0", Message: "x" }];
    const seen: string[] = [];
    const stop = onAwsRequest(clients.sns, "SNS", (api) => seen.push(api));
    try {
      const viaSdk = await failureOf(
        sns.send(
          new PublishBatchCommand({ TopicArn: missing, PublishBatchRequestEntries: entries }),
        ),
      );
      const direct = await failureOf(
        clients.sns.send(
          new PublishBatchCommand({ TopicArn: missing, PublishBatchRequestEntries: entries }),
        ),
      );
      expectTheSdksError(direct, viaSdk);
      expect(seen).toEqual(["SNS.PublishBatch", "SNS.PublishBatch"]);
    } finally {
      stop();
    }
  });

  it("reads failed entries as the SDK reads them", async () => {
    const answer = `<?xml version="1.0"?>
<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishBatchResult>
    <Successful><member><Id>0</Id><MessageId>m-0</MessageId></member></Successful>
    <Failed>
      <member><Id>1</Id><Code>InternalError</Code><Message>try &amp; again &lt;later&gt;</Message><SenderFault>false</SenderFault></member>
      <member><Id>2</Id><Code>InvalidParameter</Code><Message>bad</Message><SenderFault>true</SenderFault></member>
    </Failed>
  </PublishBatchResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</PublishBatchResponse>`;
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => response.writeHead(200, { "content-type": "text/xml" }).end(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fake = createAwsClients({ endpoint });
    const plain = new SNSClient({ region: "us-east-1", endpoint, credentials });
    try {
      const input = {
        TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
        PublishBatchRequestEntries: [0, 1, 2].map((i) => ({ Id: String(i), Message: "m" })),
      };
      const { $metadata: _direct, ...direct } = await fake.sns.send(new PublishBatchCommand(input));
      const { $metadata: _sdk, ...viaSdk } = await plain.send(new PublishBatchCommand(input));
      expect(direct).toEqual(viaSdk);
      expect(direct.Failed?.[0]).toEqual({
        Id: "1",
        Code: "InternalError",
        Message: "try & again <later>",
        SenderFault: false,
      });
    } finally {
      fake.destroy();
      plain.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

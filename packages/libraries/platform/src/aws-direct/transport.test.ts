import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishBatchesDirectly } from "./sns.ts";
import { sendSqsHotCallsDirectly } from "./sqs.ts";
import type { DirectHooks } from "./transport.ts";

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const received: Received[] = [];
let endpoint: string;
/** Requests still to be answered 503, as an SQS in trouble answers. */
let unavailable = 0;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received.push({
      method: request.method ?? "",
      path: request.url ?? "",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    if (unavailable > 0) {
      unavailable--;
      response.writeHead(503, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ __type: "ServiceUnavailable", message: "try again" }));
      return;
    }
    if (String(request.headers["content-type"]).startsWith("application/x-amz-json")) {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ Successful: [{ Id: "0", MessageId: "m" }], Failed: [] }));
    } else {
      response.writeHead(200, { "content-type": "text/xml" });
      response.end(
        "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id><MessageId>m</MessageId></member></Successful><Failed/></PublishBatchResult></PublishBatchResponse>",
      );
    }
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const quiet = { attempt: () => {}, fallback: () => {} };

/** Hooks that write down what they are told. */
function recording() {
  const told = { attempts: [] as string[], fallbacks: [] as string[] };
  return {
    told,
    hooks: {
      attempt: (api: string) => told.attempts.push(api),
      fallback: (api: string) => told.fallbacks.push(api),
    },
  };
}

/** For each request received, whether the SDK sent it: it names itself in its user agent. */
const sentByTheSdk = () => received.map((request) => Boolean(request.headers["x-amz-user-agent"]));

const batchTo = (body: string) =>
  new SendMessageBatchCommand({
    QueueUrl: `${endpoint}/000000000000/q`,
    Entries: [{ Id: "0", MessageBody: body }],
  });

const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "session-token-example",
};

/** An SQS client on the direct path, with md5 off as createAwsClients has it (this server
 * answers without the bodies' digests). */
const directSqs = (hooks: DirectHooks, region: string | (() => Promise<string>) = "eu-west-1") =>
  sendSqsHotCallsDirectly(new SQSClient({ region, endpoint, credentials, md5: false }), hooks);

/**
 * Signs what the server received again with the SDK's own signer and hash, at the time the
 * request says it was signed, over the headers it says it signed: the signature must be the same.
 */
async function expectSignedAsTheSdkSigns(
  request: Received,
  service: string,
  sha256: SQSClient["config"]["sha256"],
): Promise<void> {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  expect(signedHeaders).toEqual(expect.arrayContaining(["host", "x-amz-date"]));
  expect(request.headers["x-amz-security-token"]).toBe(credentials.sessionToken);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(request.headers[name]);
  const signingDate = new Date(amzDate(request.headers["x-amz-date"]));
  const [hostname, port] = String(request.headers.host).split(":");
  const again = await new SignatureV4({ credentials, region: "eu-west-1", service, sha256 }).sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: hostname as string,
      port: Number(port),
      path: request.path,
      query: {},
      headers,
      body: request.body,
    },
    { signingDate },
  );
  expect(authorization).toBe(again.headers.authorization);
}

const amzDate = (header: unknown) => {
  const d = String(header);
  return Date.parse(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`,
  );
};

describe("the direct path's requests", () => {
  it("are signed at the time the SDK's clock-skew correction says", async () => {
    received.length = 0;
    const sqs = sendSqsHotCallsDirectly(
      new SQSClient({ region: "eu-west-1", endpoint, credentials }),
      quiet,
    );
    try {
      // What the SDK sets after AWS refused a signature as too far from its own clock.
      sqs.config.systemClockOffset = 3_600_000;
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: `${endpoint}/000000000000/q`,
          Entries: [{ Id: "0", MessageBody: "skewed" }],
        }),
      );
      const offset = amzDate(received[0]?.headers["x-amz-date"]) - Date.now();
      expect(offset).toBeGreaterThan(3_500_000);
      expect(offset).toBeLessThan(3_700_000);
    } finally {
      sqs.destroy();
    }
  });

  it("are signed as the SDK's signer signs them, session token included (SQS and SNS)", async () => {
    received.length = 0;
    const sqs = sendSqsHotCallsDirectly(
      new SQSClient({ region: "eu-west-1", endpoint, credentials }),
      quiet,
    );
    const sns = publishBatchesDirectly(
      new SNSClient({ region: "eu-west-1", endpoint, credentials }),
      quiet,
    );
    try {
      // Twice each: the second signature comes from the signer's cached signing key.
      for (let i = 0; i < 2; i++) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: `${endpoint}/000000000000/q`,
            Entries: [{ Id: "0", MessageBody: `body ${i} é` }],
          }),
        );
        await sns.send(
          new PublishBatchCommand({
            TopicArn: "arn:aws:sns:eu-west-1:000000000000:t",
            PublishBatchRequestEntries: [{ Id: "0", Message: `message ${i} (!)` }],
          }),
        );
      }
      expect(received).toHaveLength(4);
      for (const request of received) {
        const service = request.headers["x-amz-target"] ? "sqs" : "sns";
        await expectSignedAsTheSdkSigns(request, service, sqs.config.sha256);
      }
      expect(received[0]?.headers["x-amz-target"]).toBe("AmazonSQS.SendMessageBatch");
      expect(JSON.parse(received[0]?.body ?? "")).toEqual({
        QueueUrl: `${endpoint}/000000000000/q`,
        Entries: [{ Id: "0", MessageBody: "body 0 é" }],
      });
      expect(received[1]?.body).toBe(
        "Action=PublishBatch&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A000000000000%3At" +
          "&PublishBatchRequestEntries.member.1.Id=0" +
          "&PublishBatchRequestEntries.member.1.Message=message%200%20%28%21%29",
      );
    } finally {
      sqs.destroy();
      sns.destroy();
    }
  });
});

describe("the direct path's fallbacks", () => {
  it("hands a call whose attempt failed to the SDK, says so, and sends the next one itself", async () => {
    received.length = 0;
    const { told, hooks } = recording();
    const sqs = directSqs(hooks);
    try {
      unavailable = 1;
      const first = await sqs.send(batchTo("answered 503, then sent by the SDK"));
      expect(first.Successful).toEqual([{ Id: "0", MessageId: "m" }]);
      await sqs.send(batchTo("sent directly"));
      // The SDK's request is the second of three.
      expect(sentByTheSdk()).toEqual([false, true, false]);
      expect(told).toEqual({
        attempts: ["SQS.SendMessageBatch", "SQS.SendMessageBatch"],
        fallbacks: ["SQS.SendMessageBatch"],
      });
    } finally {
      unavailable = 0;
      sqs.destroy();
    }
  });

  it("opens again on the next call when it could not open (the region not resolvable yet)", async () => {
    received.length = 0;
    const { told, hooks } = recording();
    let regionAsked = 0;
    const region = async () => {
      regionAsked++;
      if (regionAsked === 1) throw new Error("no region yet");
      return "eu-west-1";
    };
    const sqs = directSqs(hooks, region);
    try {
      // The SDK asks for the region again, gets it, and sends the first call.
      await sqs.send(batchTo("sent by the SDK"));
      await sqs.send(batchTo("sent directly"));
      await sqs.send(batchTo("sent directly again"));
      expect(sentByTheSdk()).toEqual([true, false, false]);
      expect(told).toEqual({
        attempts: ["SQS.SendMessageBatch", "SQS.SendMessageBatch"],
        fallbacks: ["SQS.SendMessageBatch"],
      });
    } finally {
      sqs.destroy();
    }
  });

  it("does not count a call its caller aborted as a fallback", async () => {
    const { told, hooks } = recording();
    const sqs = directSqs(hooks);
    try {
      const aborted = new AbortController();
      aborted.abort();
      await expect(
        sqs.send(batchTo("never sent"), { abortSignal: aborted.signal }),
      ).rejects.toMatchObject({ name: "AbortError" });
      expect(told.fallbacks).toEqual([]);
    } finally {
      sqs.destroy();
    }
  });
});

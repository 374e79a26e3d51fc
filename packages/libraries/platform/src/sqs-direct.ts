// The hot SQS calls (send, receive, delete, visibility) sent without the SDK's middleware stack.
//
// Measured on this project's machine against the embedded emulator (bench `sqs-client`): the
// SDK spends about 0.45 ms of CPU per request around a call whose own work (JSON, a SigV4
// signature, one HTTP exchange) takes about 0.15 ms; at three SQS requests per saga that was a
// quarter of a saga's CPU. The SDK stays the client: it resolves the endpoint, the region and
// the credentials, its own SigV4 signer signs, and every call that is not a plain success goes
// through it again, so errors, their classes and the retry policy are the SDK's own.
//
// What this path does per call: serialises the input as the AWS JSON 1.0 protocol does (the
// SDK's serialiser writes the same members, PascalCase, omitting undefined ones), signs it,
// sends it over an undici pool, and parses a 2xx answer into the SDK's output shape. A call it
// cannot serialise exactly (a binary message attribute) or a callback-style call goes to the
// SDK untouched. A call whose attempt here fails before a 2xx answer (a network error, an
// abort, any error status) is sent again through the SDK, as the SDK's own retry would send it
// again: receives and deletes are safe to repeat, and a repeated send is a duplicate that every
// consumer already removes (inbox). A 2xx answer that cannot be parsed is an error, never resent.
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
import { SignatureV4 } from "@smithy/signature-v4";
import { Pool } from "undici";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

/** The operations this path sends itself, by the SDK command class that asks for them. */
const OPERATIONS = new Map<object, string>([
  [SendMessageBatchCommand, "SendMessageBatch"],
  [SendMessageCommand, "SendMessage"],
  [ReceiveMessageCommand, "ReceiveMessage"],
  [DeleteMessageBatchCommand, "DeleteMessageBatch"],
  [DeleteMessageCommand, "DeleteMessage"],
  [ChangeMessageVisibilityBatchCommand, "ChangeMessageVisibilityBatch"],
  [ChangeMessageVisibilityCommand, "ChangeMessageVisibility"],
]);

/** As the SDK's own pool: at most this many sockets per endpoint. */
const MAX_SOCKETS = 50;

interface Endpoint {
  origin: string;
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  host: string;
}

interface Transport {
  endpoint: Endpoint;
  pool: Pool;
  signer: SignatureV4;
}

/** What the SDK's output carries besides the members. */
interface ResponseMetadata {
  httpStatusCode: number;
  requestId: string | undefined;
  attempts: number;
  totalRetryDelay: number;
}

type Send = SQSClient["send"];

/**
 * Makes `client` send the hot SQS operations itself (see the file's comment); `onAttempt` is
 * told the API name (`SQS.SendMessageBatch`) of every attempt it sends, as the SDK's listeners
 * are. Everything else, and every attempt that does not end in a 2xx answer, goes through the
 * SDK as before. Returns the client; `client.destroy()` also closes this path's sockets.
 */
export function sendHotCallsDirectly(
  client: SQSClient,
  onAttempt: (api: string) => void,
): SQSClient {
  const viaSdk = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const destroy = client.destroy.bind(client);
  let transport: Promise<Transport> | undefined;
  const direct = (async (...args: unknown[]) => {
    const [command, options] = args as [{ input: unknown; constructor: object }, unknown];
    const operation = OPERATIONS.get(command.constructor);
    // A callback (in any position) or an input this path cannot write exactly: the SDK's.
    if (
      operation === undefined ||
      args.length > 2 ||
      typeof options === "function" ||
      !plainJson(command.input)
    ) {
      return viaSdk(...args);
    }
    const abortSignal = (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    transport ??= openTransport(client);
    let answered: { status: number; requestId: string | undefined; text: string };
    try {
      const ready = await transport;
      onAttempt(`SQS.${operation}`);
      answered = await exchange(ready, operation, command.input, abortSignal);
    } catch {
      // Nothing came back (refused, reset, aborted): the SDK sends it again, retrying and
      // failing exactly as it always has (an aborted signal makes it throw its AbortError).
      return viaSdk(...args);
    }
    if (answered.status < 200 || answered.status > 299) return viaSdk(...args);
    return parseOutput(operation, answered);
  }) as Send;
  client.send = direct;
  client.destroy = () => {
    const opened = transport;
    transport = undefined;
    void opened?.then(
      (ready) => ready.pool.destroy(),
      () => {},
    );
    destroy();
  };
  return client;
}

async function openTransport(client: SQSClient): Promise<Transport> {
  const config = client.config;
  const region = await config.region();
  const endpoint = await resolveEndpoint(client, region);
  return {
    endpoint,
    pool: new Pool(endpoint.origin, { connections: MAX_SOCKETS }),
    signer: new SignatureV4({
      credentials: config.credentials,
      region,
      service: "sqs",
      sha256: config.sha256,
      uriEscapePath: true,
    }),
  };
}

// The configured endpoint (emulator, LocalStack), else the one the SDK's own rules give AWS.
async function resolveEndpoint(client: SQSClient, region: string): Promise<Endpoint> {
  const config = client.config;
  const custom = config.endpoint ? await config.endpoint() : undefined;
  if (custom) {
    const port = custom.port;
    const host = port ? `${custom.hostname}:${port}` : custom.hostname;
    return {
      origin: `${custom.protocol}//${host}`,
      protocol: custom.protocol,
      hostname: custom.hostname,
      port,
      path: custom.path || "/",
      host,
    };
  }
  const resolved = config.endpointProvider({
    Region: region,
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
  });
  const url = resolved.url;
  return {
    origin: url.origin,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname || "/",
    host: url.host,
  };
}

async function exchange(
  { endpoint, pool, signer }: Transport,
  operation: string,
  input: unknown,
  abortSignal: AbortSignal | undefined,
): Promise<{ status: number; requestId: string | undefined; text: string }> {
  const body = JSON.stringify(input);
  const signed = await signer.sign({
    method: "POST",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port,
    path: endpoint.path,
    query: {},
    headers: {
      host: endpoint.host,
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `AmazonSQS.${operation}`,
      // As the SDK asks: error codes in the query protocol's names (AWS.SimpleQueueService.*).
      "x-amzn-query-mode": "true",
    },
    body,
  });
  const response = await pool.request({
    method: "POST",
    path: endpoint.path,
    headers: signed.headers,
    body,
    signal: abortSignal,
  });
  const text = await response.body.text();
  const requestId = response.headers["x-amzn-requestid"];
  return {
    status: response.statusCode,
    requestId: typeof requestId === "string" ? requestId : undefined,
    text,
  };
}

function parseOutput(
  operation: string,
  answered: { status: number; requestId: string | undefined; text: string },
): Record<string, unknown> & { $metadata: ResponseMetadata } {
  let members: Record<string, unknown>;
  try {
    const parsed: unknown = answered.text.trim() === "" ? {} : JSON.parse(answered.text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("the body is not a JSON object");
    }
    members = parsed as Record<string, unknown>;
  } catch (error) {
    throw PlatformErrors.create(
      PlatformErrorCode.awsResponseUnreadable,
      `SQS ${operation} answered ${answered.status} with a body that is not the JSON protocol's (${(error as Error).message}); request id ${answered.requestId ?? "none"}`,
    );
  }
  if (operation === "ReceiveMessage") decodeBinaryAttributes(members);
  return {
    ...members,
    $metadata: {
      httpStatusCode: answered.status,
      requestId: answered.requestId,
      attempts: 1,
      totalRetryDelay: 0,
    },
  };
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

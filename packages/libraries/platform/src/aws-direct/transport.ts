// The hot SQS and SNS calls sent without the SDK's middleware stack, the SDK staying the client.
//
// Measured on this project's machine against the embedded emulator: the SDK spends about
// 0.45 ms of CPU per request around a call whose own work (a body, a SigV4 signature, one HTTP
// exchange) takes about 0.15 ms; at three or four requests per saga that was a quarter of a
// saga's CPU. So the calls a saga makes on every step go out through here: the SDK still
// resolves the endpoint, the region and the credentials, its own SigV4 signer
// (@smithy/signature-v4) signs, and every attempt that does not end in a 2xx answer is sent
// again through the SDK, so errors, their classes and the retry policy stay the SDK's own.
//
// A call an operation cannot write exactly as the SDK would (say, a binary attribute), a
// callback-style call and every other command go to the SDK untouched. An attempt that fails
// here before a 2xx answer (a network error, an abort, any error status) is sent again through
// the SDK, as the SDK's own retry would send it again: receives and deletes are safe to repeat,
// and a repeated send is a duplicate that every consumer already removes (its inbox). A 2xx
// answer that cannot be read is an error, never sent again.
import { createHash, createHmac, createSecretKey, type Hash, type KeyObject } from "node:crypto";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { SignatureV4 } from "@smithy/signature-v4";
import { Pool } from "undici";
import { PlatformErrorCode, PlatformErrors } from "../errors.ts";

/** How one operation is written and read on this path. */
export interface DirectOperation {
  /** The API name without the service (`SendMessageBatch`), as request listeners are told it. */
  name: string;
  /**
   * The request's body and content headers, or undefined when this input is the SDK's to write
   * (something this path cannot write exactly as the SDK does).
   */
  encode(input: unknown): { body: string; headers: Record<string, string> } | undefined;
  /** The SDK's output members from a 2xx answer's body; throws when it is not the protocol's. */
  decode(text: string): Record<string, unknown>;
}

/** The SDK clients this path works for; both are smithy clients with the same config shape. */
type DirectClient = SQSClient | SNSClient;

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

/** What the path tells its owner about the requests it sends. */
export interface DirectHooks {
  /** The API name (`SQS.SendMessageBatch`) of every attempt sent on this path. */
  attempt(api: string): void;
  /**
   * The API name of every call this path handed to the SDK because its own attempt did not end
   * in a 2xx answer (such a call costs a second request) or because the path could not open
   * (region or endpoint not resolvable yet). A call its caller aborted is not told.
   */
  fallback(api: string): void;
}

interface Answer {
  status: number;
  requestId: string | undefined;
  text: string;
}

/**
 * Makes `client` send `operations` (keyed by the SDK command class that asks for them) itself,
 * as the file's comment says; `hooks` are told of every attempt sent here (as the SDK's request
 * listeners are of theirs) and of every call handed to the SDK. Returns the client; its
 * `destroy()` also closes this path's sockets.
 */
export function sendDirectly<Client extends DirectClient>(
  client: Client,
  service: "SQS" | "SNS",
  operations: ReadonlyMap<object, DirectOperation>,
  hooks: DirectHooks,
): Client {
  const viaSdk = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const destroy = client.destroy.bind(client);
  let transport: Promise<Transport> | undefined;
  const open = (): Promise<Transport> => {
    if (!transport) {
      const opening = openTransport(client, service);
      transport = opening;
      // A failure to open is not kept: that call goes to the SDK, and the next one tries again.
      opening.catch(() => {
        if (transport === opening) transport = undefined;
      });
    }
    return transport;
  };
  const direct = async (...args: unknown[]) => {
    const [command, options] = args as [{ input: unknown; constructor: object }, unknown];
    const operation = operations.get(command.constructor);
    // A callback, in either position, is the SDK's.
    if (!operation || args.length > 2 || typeof options === "function") return viaSdk(...args);
    const request = operation.encode(command.input);
    if (!request) return viaSdk(...args);
    const abortSignal = (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    const api = `${service}.${operation.name}`;
    let answer: Answer;
    try {
      const ready = await open();
      hooks.attempt(api);
      // The SDK's correction for a skewed clock, which it learns from a refused signature.
      const signingDate = new Date(Date.now() + (client.config.systemClockOffset ?? 0));
      answer = await exchange(ready, request, signingDate, abortSignal);
    } catch {
      // Nothing came back (refused, reset, aborted): the SDK sends it again, retrying and
      // failing exactly as it always has (an aborted signal makes it throw its AbortError).
      if (!abortSignal?.aborted) hooks.fallback(api);
      return viaSdk(...args);
    }
    if (answer.status < 200 || answer.status > 299) {
      hooks.fallback(api);
      return viaSdk(...args);
    }
    let members: Record<string, unknown>;
    try {
      members = operation.decode(answer.text);
    } catch (error) {
      throw PlatformErrors.create(
        PlatformErrorCode.awsResponseUnreadable,
        `${service} ${operation.name} answered ${answer.status} with a body that is not its protocol's (${(error as Error).message}); request id ${answer.requestId ?? "none"}`,
      );
    }
    return {
      ...members,
      $metadata: {
        httpStatusCode: answer.status,
        requestId: answer.requestId,
        attempts: 1,
        totalRetryDelay: 0,
      },
    };
  };
  (client as { send: unknown }).send = direct;
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

async function openTransport(client: DirectClient, service: "SQS" | "SNS"): Promise<Transport> {
  const config = client.config;
  const region = await config.region();
  const endpoint = await resolveEndpoint(client, region);
  return {
    endpoint,
    pool: new Pool(endpoint.origin, { connections: MAX_SOCKETS }),
    signer: new SignatureV4({
      credentials: config.credentials,
      region,
      service: service.toLowerCase(),
      sha256: Sha256,
      uriEscapePath: true,
    }),
  };
}

// The configured endpoint (emulator, LocalStack), else the one the SDK's own rules give AWS.
async function resolveEndpoint(client: DirectClient, region: string): Promise<Endpoint> {
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
  const { url } = config.endpointProvider({
    Region: region,
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
  });
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
  request: { body: string; headers: Record<string, string> },
  signingDate: Date,
  abortSignal: AbortSignal | undefined,
): Promise<Answer> {
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port,
      path: endpoint.path,
      query: {},
      headers: { host: endpoint.host, ...request.headers },
      body: request.body,
    },
    { signingDate },
  );
  const response = await pool.request({
    method: "POST",
    path: endpoint.path,
    headers: signed.headers,
    body: request.body,
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

// Node prepares a raw HMAC key on every createHmac (four times the cost of the hash itself on
// a short text); the few keys a signer uses (the secret, a signing key a day) are prepared once.
const preparedKeys = new Map<string, KeyObject>();
const MAX_PREPARED_KEYS = 32;

function preparedKey(secret: string | ArrayBuffer | ArrayBufferView): KeyObject {
  const bytes =
    typeof secret === "string"
      ? Buffer.from(secret, "utf8")
      : ArrayBuffer.isView(secret)
        ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
        : Buffer.from(secret);
  const id = bytes.toString("base64");
  let key = preparedKeys.get(id);
  if (!key) {
    if (preparedKeys.size >= MAX_PREPARED_KEYS) preparedKeys.clear();
    key = createSecretKey(bytes);
    preparedKeys.set(id, key);
  }
  return key;
}

/** The signer's SHA-256 and HMAC-SHA-256 (its `Checksum`), with keys prepared once. */
class Sha256 {
  private hash: Hash | ReturnType<typeof createHmac>;
  private readonly secret: string | ArrayBuffer | ArrayBufferView | undefined;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret;
    this.hash = this.fresh();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === "string"
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data),
    );
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | ReturnType<typeof createHmac> {
    return this.secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", preparedKey(this.secret));
  }
}

import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { publishBatchesDirectly } from "./aws-direct/sns.ts";
import { sendSqsHotCallsDirectly } from "./aws-direct/sqs.ts";
import type { DirectHooks } from "./aws-direct/transport.ts";

/** The SQS and SNS clients a process uses; both point at the same endpoint. */
export interface AwsClients {
  sqs: SQSClient;
  sns: SNSClient;
  /**
   * The SQS client for long polls, made on first use: {@link longPollClient} of `sqs`. Consumers
   * find it by themselves; it is here for code that receives without one.
   */
  readonly sqsReceive: SQSClient;
  /** The endpoint override, or undefined for real AWS. */
  endpoint: string | undefined;
  region: string;
  /** Closes both clients' sockets. */
  destroy(): void;
}

/** Options for {@link createAwsClients}. */
export interface AwsClientOptions {
  /** SQS/SNS endpoint such as LocalStack's; undefined means AWS through the credential chain. */
  endpoint?: string | undefined;
  /** AWS region; defaults to `us-east-1`. */
  region?: string | undefined;
  /**
   * Attempts per request under the SDK's standard retry mode (backoff with a token bucket);
   * defaults to 3, the SDK's own, written down so a change of SDK default does not silently
   * change how hard a process hammers a throttled broker.
   */
  maxAttempts?: number | undefined;
}

/** {@link AwsClientOptions} with every default applied; `endpoint` keeps undefined for "AWS". */
export interface ResolvedAwsClientOptions {
  endpoint: string | undefined;
  region: string;
  maxAttempts: number;
}

/**
 * Applies the defaults once; an explicit `undefined` means the default too, and so does an
 * empty endpoint (an unset variable passed through as "").
 */
export function resolveAwsClientOptions(options: AwsClientOptions = {}): ResolvedAwsClientOptions {
  return {
    endpoint: options.endpoint || undefined,
    region: options.region ?? "us-east-1",
    maxAttempts: options.maxAttempts ?? 3,
  };
}

/** Told the API name (`SQS.SendMessageBatch`) of every HTTP attempt a client sends. */
export type AwsRequestListener = (api: string) => void;

/** The listeners of each client {@link createAwsClients} made (and its long-poll sibling). */
const requestListeners = new WeakMap<object, Set<AwsRequestListener>>();
/** The listeners of the calls each client's direct path handed to the SDK (see below). */
const fallbackListeners = new WeakMap<object, Set<AwsRequestListener>>();
/** Each SQS client's long-poll sibling, or how to make it on first use. */
const longPollSiblings = new WeakMap<SQSClient, { make: () => SQSClient; made?: SQSClient }>();

type AnyClient = SQSClient | SNSClient;

/**
 * Adds the one middleware that tells a client's listeners about each request. It sits in the
 * SDK's deserialize step, inside the retry loop, so a retried call is told once per attempt.
 * Added while the client is new: with `cacheMiddleware` a client resolves its stack once per
 * command class, and middleware added after its first send would never run.
 */
function listenedClient<Client extends AnyClient>(
  client: Client,
  service: "SQS" | "SNS",
  listeners: Set<AwsRequestListener>,
): Client {
  requestListeners.set(client, listeners);
  // Both clients share the smithy middleware stack; the union type just hides that.
  (client as SQSClient).middlewareStack.add(
    (next, context) => async (args) => {
      if (listeners.size > 0) {
        tell(
          listeners,
          `${service}.${String(context.commandName ?? "unknown").replace(/Command$/, "")}`,
        );
      }
      return next(args);
    },
    { step: "deserialize", name: "sagaworksRequestListeners" },
  );
  return client;
}

/** Tells every listener of a client one request's API name (`SQS.SendMessageBatch`). */
function tell(listeners: ReadonlySet<AwsRequestListener>, api: string): void {
  for (const listener of listeners) listener(api);
}

/**
 * The direct path's hooks for `client`: its attempts go to the request listeners, the calls it
 * hands to the SDK to `fallbacks`, which {@link onAwsDirectFallback} reaches through the client.
 */
function directHooks(
  client: AnyClient,
  requests: ReadonlySet<AwsRequestListener>,
  fallbacks: Set<AwsRequestListener>,
): DirectHooks {
  fallbackListeners.set(client, fallbacks);
  return { attempt: (api) => tell(requests, api), fallback: (api) => tell(fallbacks, api) };
}

/**
 * Tells `listener` the API name of every HTTP request `client` sends from now on (retries once
 * per attempt), and, for an SQS client, its long-poll sibling's ({@link longPollClient}) too.
 * Adding the same listener twice tells it once. Returns what stops it.
 *
 * A client made by {@link createAwsClients} carries the hook from its start. Any other client
 * gets it now, which only works before its first send when it caches its middleware.
 */
export function onAwsRequest(
  client: AnyClient,
  service: "SQS" | "SNS",
  listener: AwsRequestListener,
): () => void {
  let listeners = requestListeners.get(client);
  if (!listeners) {
    listeners = new Set();
    listenedClient(client, service, listeners);
  }
  listeners.add(listener);
  const registered = listeners;
  return () => registered.delete(listener);
}

/**
 * Tells `listener` the API name of every call a client {@link createAwsClients} made (or its
 * long-poll sibling) sent on its direct path and then handed to the SDK: the direct attempt did
 * not end in a 2xx answer, so the call cost a second request, or the path could not open. A
 * count that keeps growing while the broker answers the SDK is a direct path that does not work
 * here. Any other client has no direct path and tells nothing. Returns what stops it.
 */
export function onAwsDirectFallback(client: AnyClient, listener: AwsRequestListener): () => void {
  const listeners = fallbackListeners.get(client);
  if (!listeners) return () => {};
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The client to long-poll `sqs`'s queues with. A receive passes an abort signal (so a stop
 * need not wait out a 20 s poll), and the SDK drops a client's resolved middleware whenever a
 * send passes per-call options: on the shared client every poll would undo `cacheMiddleware`
 * for every other request. So the polls go through a sibling of their own, made on first use
 * with the same settings and its own connection pool (a long poll holds its socket for up to
 * 20 s anyway), whose requests `sqs`'s listeners hear. A client {@link createAwsClients} did
 * not make is its own sibling.
 */
export function longPollClient(sqs: SQSClient): SQSClient {
  const sibling = longPollSiblings.get(sqs);
  if (!sibling) return sqs;
  sibling.made ??= sibling.make();
  return sibling.made;
}

// Emulators accept any credentials; giving fixed ones keeps the SDK from searching the
// credential chain (and failing) on a developer machine that has no AWS profile.
const EMULATOR_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/**
 * Creates SQS and SNS clients. With an endpoint (LocalStack, the embedded emulator) they use
 * dummy credentials; without one they use the standard AWS credential chain. Everything else,
 * the code path included, is the same for all three. Create them once per process and share
 * them: every client keeps its own connection pool.
 */
export function createAwsClients(input: AwsClientOptions = {}): AwsClients {
  const { region, endpoint, maxAttempts } = resolveAwsClientOptions(input);
  const common = {
    region,
    endpoint,
    // Without an endpoint the SDK searches the credential chain (undefined means exactly that).
    credentials: endpoint ? EMULATOR_CREDENTIALS : undefined,
    // Batch senders retry failed entries themselves on top (see messaging's batching).
    maxAttempts,
    retryMode: "standard",
    // The middleware stack is resolved once per command class instead of on every send: the
    // same behaviour, less CPU per request, and nothing here adds middleware per call.
    cacheMiddleware: true,
  };
  // One client per service per process (callers share `AwsClients`): each client owns a
  // keep-alive connection pool, its resolved endpoint and its credentials cache.
  //
  // md5: false turns off the SQS client's MD5 of every message body it sends and receives. It
  // protects against corruption in transit, which TLS (AWS) or the loopback (emulators) already
  // rules out, and it costs a hash of every body on both sides. Receivers validate every
  // envelope with zod anyway, so a corrupted body is refused as poison, never applied.
  const sqsListeners = new Set<AwsRequestListener>();
  const snsListeners = new Set<AwsRequestListener>();
  // Shared by the SQS client and its long-poll sibling, as its request listeners are.
  const sqsFallbacks = new Set<AwsRequestListener>();
  // The hot calls skip the SDK's middleware (see aws-direct/transport.ts); their attempts are
  // told to the same listeners, so a request counts once per attempt on either path.
  const sqsClient = (cacheMiddleware: boolean) => {
    const client = listenedClient(
      new SQSClient({ ...common, md5: false, cacheMiddleware }),
      "SQS",
      sqsListeners,
    );
    return sendSqsHotCallsDirectly(client, directHooks(client, sqsListeners, sqsFallbacks));
  };
  const sqs = sqsClient(true);
  const snsClient = listenedClient(new SNSClient(common), "SNS", snsListeners);
  const sns = publishBatchesDirectly(
    snsClient,
    directHooks(snsClient, snsListeners, new Set<AwsRequestListener>()),
  );
  const sibling: { make: () => SQSClient; made?: SQSClient } = {
    // Every receive passes per-call options, so caching would only be undone each time.
    make: () => sqsClient(false),
  };
  longPollSiblings.set(sqs, sibling);
  return {
    sqs,
    sns,
    get sqsReceive() {
      return longPollClient(sqs);
    },
    endpoint,
    region,
    destroy() {
      sqs.destroy();
      sibling.made?.destroy();
      sns.destroy();
    },
  };
}

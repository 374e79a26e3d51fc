import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";

/** The SQS and SNS clients a process uses; both point at the same endpoint. */
export interface AwsClients {
  sqs: SQSClient;
  sns: SNSClient;
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
  const sqs = new SQSClient({ ...common, md5: false });
  const sns = new SNSClient(common);
  return {
    sqs,
    sns,
    endpoint,
    region,
    destroy() {
      sqs.destroy();
      sns.destroy();
    },
  };
}

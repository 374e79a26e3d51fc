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
  region?: string;
}

// Emulators accept any credentials; giving fixed ones keeps the SDK from searching the
// credential chain (and failing) on a developer machine that has no AWS profile.
const EMULATOR_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/**
 * Creates SQS and SNS clients. With an endpoint (LocalStack, the embedded emulator) they use
 * dummy credentials; without one they use the standard AWS credential chain. Everything else,
 * the code path included, is the same for all three.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const region = options.region ?? "us-east-1";
  const endpoint = options.endpoint;
  const common = endpoint ? { region, endpoint, credentials: EMULATOR_CREDENTIALS } : { region };
  const sqs = new SQSClient(common);
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

import type { BaseConfig } from "./config.ts";
import { startEmbeddedBroker } from "./embedded-broker.ts";

/** Where a process sends SQS/SNS calls, and how to release it. */
export interface BrokerEndpoint {
  /** Endpoint override; undefined means real AWS. */
  endpoint: string | undefined;
  /** `aws`, `endpoint` (LocalStack or any SQS-compatible URL) or `embedded` (fauxqs). */
  kind: "aws" | "endpoint" | "embedded";
  /** Stops the embedded emulator; a no-op for the others. */
  stop(): Promise<void>;
}

/**
 * Picks the broker from config: `AWS_ENDPOINT_URL` wins; otherwise `SAGAWORKS_BROKER=aws` means
 * real AWS, and the default `embedded` starts fauxqs in this process.
 */
export async function resolveBroker(
  config: Pick<BaseConfig, "AWS_ENDPOINT_URL" | "SAGAWORKS_BROKER">,
): Promise<BrokerEndpoint> {
  if (config.AWS_ENDPOINT_URL) {
    return { endpoint: config.AWS_ENDPOINT_URL, kind: "endpoint", stop: async () => {} };
  }
  if (config.SAGAWORKS_BROKER === "aws") {
    return { endpoint: undefined, kind: "aws", stop: async () => {} };
  }
  const broker = await startEmbeddedBroker();
  return { endpoint: broker.endpoint, kind: "embedded", stop: broker.stop };
}

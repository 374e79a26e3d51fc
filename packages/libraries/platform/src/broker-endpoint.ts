import type { BaseConfig } from "./config.ts";
import { startEmbeddedBroker } from "./embedded-broker.ts";
import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

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
 * real AWS, and `embedded` (or nothing, under SAGAWORKS_ENV=dev) starts fauxqs in this process.
 * With none of these it refuses, saying what to set.
 */
export async function resolveBroker(
  config: Pick<BaseConfig, "AWS_ENDPOINT_URL" | "SAGAWORKS_BROKER"> &
    Partial<Pick<BaseConfig, "SAGAWORKS_ENV">>,
): Promise<BrokerEndpoint> {
  if (config.AWS_ENDPOINT_URL) {
    return { endpoint: config.AWS_ENDPOINT_URL, kind: "endpoint", stop: async () => {} };
  }
  if (config.SAGAWORKS_BROKER === "aws") {
    return { endpoint: undefined, kind: "aws", stop: async () => {} };
  }
  if (config.SAGAWORKS_BROKER !== "embedded" && config.SAGAWORKS_ENV !== "dev") {
    throw PlatformErrors.create(
      PlatformErrorCode.configInvalid,
      "No broker is named: set SAGAWORKS_BROKER=aws or AWS_ENDPOINT_URL; SAGAWORKS_BROKER=embedded (or SAGAWORKS_ENV=dev) is for development only.",
    );
  }
  const broker = await startEmbeddedBroker();
  return { endpoint: broker.endpoint, kind: "embedded", stop: broker.stop };
}

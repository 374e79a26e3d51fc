import { startTestBroker } from "@sagaworks/platform/testing";
import type {} from "vitest";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** SQS/SNS endpoint every integration test talks to over HTTP. */
    brokerEndpoint: string;
    /** Which broker that is: embedded, endpoint or localstack. */
    brokerKind: string;
  }
}

// One broker per test run; tests isolate themselves by unique queue names, not separate brokers.
export default async function setup(project: TestProject) {
  const broker = await startTestBroker(process.env);
  project.provide("brokerEndpoint", broker.endpoint);
  project.provide("brokerKind", broker.kind);
  const database = process.env.DATABASE_URL ? "Postgres at DATABASE_URL" : "embedded PGlite";
  process.stderr.write(
    `[tests] broker: ${broker.kind} (${broker.endpoint}); database: ${database}\n`,
  );
  return async () => {
    await broker.stop();
  };
}

import { type AwsClients, createAwsClients } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { applyTopology, deriveTopology, type TopologyInput } from "@sagaworks/topology";
import { inject } from "vitest";
import { RequestCounter } from "../src/index.ts";

/** Clients on the run's broker, with a request counter attached. */
export function brokerClients(): AwsClients & { counter: RequestCounter } {
  const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
  const counter = new RequestCounter();
  counter.attach(clients.sqs, "SQS");
  counter.attach(clients.sns, "SNS");
  return { ...clients, counter };
}

/** Creates a topology whose names are unique to this test, and returns where things are. */
export async function testTopology(
  clients: AwsClients,
  testName: string,
  input: Omit<TopologyInput, "prefix">,
) {
  const topology = deriveTopology({ ...input, prefix: uniqueTestName(testName, 28) });
  const applied = await applyTopology(clients, topology);
  const url = (name: string) => {
    const found = applied.queueUrls[name];
    if (!found) throw new Error(`no queue ${name} in the test topology`);
    return found;
  };
  return { topology, applied, url };
}

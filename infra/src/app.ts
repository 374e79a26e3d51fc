#!/usr/bin/env node
// The CDK app: `node scripts/bootstrap.mjs cdk synth` (or `npx cdk synth` in infra/ once the
// dependencies are installed: cdk.json runs this file through the bootstrap, which brings a Node
// that strips TypeScript). It reads the
// same configuration as every other place that derives the topology (SAGAWORKS_ENV_PREFIX,
// MAX_RECEIVE_COUNT, SAGAWORKS_EVENT_SUBSCRIBERS, SAGA_DEFINITIONS_DIR) and needs no AWS account
// or network to synthesize.
import { DEPLOYABLES } from "@sagaworks/deployables";
import { App } from "aws-cdk-lib";
import { SagaworksStack } from "./sagaworks-stack.ts";
import { loadStackInput } from "./stack-input.ts";

const input = await loadStackInput(process.env);
const app = new App();
new SagaworksStack(app, `sagaworks-${input.topology.prefix}`, {
  topology: input.topology,
  deployables: DEPLOYABLES,
  description: `Sagaworks ${input.topology.prefix}: queues, topic, alarms, image repositories, roles`,
  // Account and region come from the CLI's environment at deploy time; synth needs neither.
});
app.synth();

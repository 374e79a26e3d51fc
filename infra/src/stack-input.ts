import { baseConfigShape, loadConfig } from "@sagaworks/platform";
import {
  DEFAULT_DEFINITIONS_DIR,
  environmentTopology,
  loadSagaDefinitions,
  type Topology,
  topologySettings,
  topologySettingsShape,
} from "@sagaworks/topology";
import { z } from "zod";

/** The environment the CDK app reads: the topology's one configuration, nothing else. */
export const stackConfigSchema = z.object({
  SAGAWORKS_ENV_PREFIX: baseConfigShape.SAGAWORKS_ENV_PREFIX,
  /** Folder of *.saga.json files; defaults to the repository's saga-definitions/. */
  SAGA_DEFINITIONS_DIR: z.string().default(DEFAULT_DEFINITIONS_DIR),
  ...topologySettingsShape,
});

/** Derives the topology the stack is built from, exactly as the processes and the CLI do. */
export async function loadStackInput(
  env: Record<string, string | undefined>,
): Promise<{ topology: Topology }> {
  const config = loadConfig(stackConfigSchema, env);
  const definitions = await loadSagaDefinitions(config.SAGA_DEFINITIONS_DIR);
  return {
    topology: environmentTopology({
      prefix: config.SAGAWORKS_ENV_PREFIX,
      definitions,
      settings: topologySettings(config),
    }),
  };
}

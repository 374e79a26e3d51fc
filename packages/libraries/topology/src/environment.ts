import { serviceContracts } from "@sagaworks/contracts";
import { baseConfigShape } from "@sagaworks/platform";
import { type CompiledSaga, SUB_SAGA_SERVICE } from "@sagaworks/saga-definition";
import { loadDefinitionFolder } from "@sagaworks/saga-definition/files";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { z } from "zod";
import { deriveTopology, type EventSubscriberInput, type Topology } from "./derive.ts";

/** The repository's saga-definitions/ folder: the default source of the participant list. */
export const DEFAULT_DEFINITIONS_DIR = sagaDefinitionsDir;

/**
 * The one configuration of the topology, read by every process and tool that derives it (the
 * orchestrator in dev, the `topology` CLI, the LocalStack hook, the CDK app, the participants for
 * their last-delivery warning), so two applies can never disagree about a redrive policy.
 */
export const topologySettingsShape = {
  /** Deliveries before SQS moves a message to its DLQ; defaults to 5. */
  MAX_RECEIVE_COUNT: baseConfigShape.MAX_RECEIVE_COUNT,
  /**
   * Readers of the lifecycle events topic, comma-separated (`billing,audit`); each gets a queue
   * subscribed to it. Defaults to none: events are published, nobody is subscribed.
   */
  SAGAWORKS_EVENT_SUBSCRIBERS: z
    .string()
    .default("")
    .transform((text) =>
      text
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean),
    ),
};

/** The parsed topology settings. */
export interface TopologySettings {
  maxReceiveCount: number;
  /** By name (the environment's way), or with a filter policy (see `eventNamesRead`). */
  eventSubscribers: readonly (string | EventSubscriberInput)[];
}

/** Reads {@link TopologySettings} from a config that spreads {@link topologySettingsShape}. */
export function topologySettings(config: {
  MAX_RECEIVE_COUNT: number;
  SAGAWORKS_EVENT_SUBSCRIBERS: readonly string[];
}): TopologySettings {
  return {
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
    eventSubscribers: config.SAGAWORKS_EVENT_SUBSCRIBERS,
  };
}

/**
 * The owner of the orchestrator's own command queue, where sub-saga steps start and compensate
 * child sagas: the infrastructure lets the orchestrator consume it.
 */
export { SUB_SAGA_SERVICE };

/**
 * The services that take commands over SQS in any of these definitions, sorted. A sub-saga step
 * sends its commands to the orchestrator's own `sagas` queue, and an explicit compensation of
 * one to the service it names.
 */
export function participantsOf(definitions: readonly CompiledSaga[]): string[] {
  const services = new Set<string>();
  for (const saga of definitions) {
    for (const step of saga.steps) {
      if (step.action.kind === "command" || step.action.kind === "saga") services.add(step.service);
      if (step.compensation?.service) services.add(step.compensation.service);
    }
  }
  return [...services].sort();
}

/**
 * The topology of one environment: participants from the saga definitions, receive count and
 * event subscribers from the settings. Every place that creates queues calls this.
 */
export function environmentTopology(input: {
  prefix: string;
  definitions: readonly CompiledSaga[];
  settings: TopologySettings;
}): Topology {
  return deriveTopology({
    prefix: input.prefix,
    participants: participantsOf(input.definitions),
    maxReceiveCount: input.settings.maxReceiveCount,
    eventSubscribers: input.settings.eventSubscribers.map((subscriber) =>
      typeof subscriber === "string" ? { name: subscriber } : subscriber,
    ),
  });
}

/**
 * Reads and compiles every definition in a folder with the checks of `saga validate`; any
 * problem is an error listing all of them, since a topology from half the definitions would
 * miss queues.
 */
export function loadSagaDefinitions(folder: string): Promise<CompiledSaga[]> {
  return loadDefinitionFolder(folder, {
    contracts: serviceContracts,
    where:
      "The participants come from the saga definitions: point SAGA_DEFINITIONS_DIR (or --definitions) at them.",
  });
}

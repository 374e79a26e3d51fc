import type { Knex } from "@sagaworks/platform";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { OrchestratorErrorCode, OrchestratorErrors } from "../errors.ts";

interface DefinitionRow {
  name: string;
  version: number;
  hash: string;
  compiled: CompiledSaga;
}

const key = (name: string, version: number) => `${name}@${version}`;

/**
 * Every compiled definition the database knows, plus which version of each name is deployed
 * (what new sagas start on). Instances are pinned to (name, version, hash): the registry never
 * lets one name and version mean two machines.
 */
export class DefinitionRegistry {
  private readonly known = new Map<string, CompiledSaga>();
  private readonly deployedByName = new Map<string, CompiledSaga>();
  private readonly knex: Knex;

  private constructor(knex: Knex) {
    this.knex = knex;
  }

  /**
   * Stores the deployed definitions (idempotently) and loads every stored one. Refuses to start
   * when a deployed definition has the name and version of a stored one but other content.
   */
  static async register(
    knex: Knex,
    deployed: readonly CompiledSaga[],
  ): Promise<DefinitionRegistry> {
    const registry = new DefinitionRegistry(knex);
    const conflicts: string[] = [];
    for (const saga of deployed) {
      await knex("saga_definitions")
        .insert({
          name: saga.name,
          version: saga.version,
          hash: saga.hash,
          compiled: JSON.stringify(saga),
        })
        .onConflict(["name", "version"])
        .ignore();
      const stored = (await knex("saga_definitions")
        .where({ name: saga.name, version: saga.version })
        .first()) as DefinitionRow;
      if (stored.hash !== saga.hash) {
        conflicts.push(
          `${saga.name} v${saga.version} is stored with ${stored.hash} but the deployed file compiles to ${saga.hash}`,
        );
      }
      registry.deployedByName.set(saga.name, saga);
    }
    if (conflicts.length > 0) {
      throw OrchestratorErrors.create(
        OrchestratorErrorCode.definitionConflict,
        `Refusing to start: ${conflicts.join("; ")}. Running sagas stay on the stored machine; bump "version" to deploy a change.`,
        { conflicts },
      );
    }
    const rows = (await knex("saga_definitions").select("*")) as DefinitionRow[];
    for (const row of rows) registry.known.set(key(row.name, row.version), row.compiled);
    return registry;
  }

  /** The definition new sagas of this name start on. */
  deployed(name: string): CompiledSaga | undefined {
    return this.deployedByName.get(name);
  }

  /** Every deployed definition. */
  allDeployed(): CompiledSaga[] {
    return [...this.deployedByName.values()];
  }

  /** Every stored definition, deployed or not. */
  all(): CompiledSaga[] {
    return [...this.known.values()];
  }

  /**
   * The stored machine of one name and version, deployed here or not: another replica of a
   * newer (or older) deployment may run sagas that start it. Undefined when no orchestrator
   * ever registered it.
   */
  async stored(name: string, version: number): Promise<CompiledSaga | undefined> {
    const deployed = this.deployedByName.get(name);
    if (deployed?.version === version) return deployed;
    let saga = this.known.get(key(name, version));
    if (!saga) {
      const row = (await this.knex("saga_definitions").where({ name, version }).first()) as
        | DefinitionRow
        | undefined;
      if (row) {
        saga = row.compiled;
        this.known.set(key(name, version), saga);
      }
    }
    return saga;
  }

  /**
   * The exact machine an instance started on. Loaded from the database when another replica
   * registered it after this one started.
   */
  async pinned(
    name: string,
    version: number,
    hash: string,
    trx: Knex = this.knex,
  ): Promise<CompiledSaga> {
    let saga = this.known.get(key(name, version));
    if (!saga) {
      const row = (await trx("saga_definitions").where({ name, version }).first()) as
        | DefinitionRow
        | undefined;
      if (row) {
        saga = row.compiled;
        this.known.set(key(name, version), saga);
      }
    }
    if (!saga || saga.hash !== hash) {
      throw OrchestratorErrors.create(
        OrchestratorErrorCode.definitionUnknown,
        `No stored definition ${name} v${version} with hash ${hash}.`,
        { name, version, hash },
      );
    }
    return saga;
  }
}

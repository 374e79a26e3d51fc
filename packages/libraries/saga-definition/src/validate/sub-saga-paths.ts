// How a mapping or condition path reads an earlier sub-saga step, `$.steps.<step>.output.<field>`:
// against the output its child saga declares. Also finds that child (a compiled saga of the same
// folder), which the step's own checks report on when it cannot be found.
import type { CompiledSaga } from "../compiled-saga.ts";
import type { JsonSchema } from "../contract-registry.ts";
import type { SagaStepDefinition } from "../definition-schema.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import { type AnalysisContext, type Source, stepPath } from "./context.ts";

/** The compiled child a step names, when it can be checked against; reports why not otherwise. */
export function childOf(
  ctx: AnalysisContext,
  step: SagaStepDefinition,
  index: number,
  report: boolean,
): CompiledSaga | undefined {
  const path: JsonPath = [...stepPath(ctx, index), "saga"];
  const entry = ctx.sagas?.(step.saga.name);
  if (!entry) {
    if (report) {
      ctx.out.add(
        DiagnosticCode.subSagaUnknown,
        [...path, "name"],
        ctx.sagas
          ? `There is no saga "${step.saga.name}" among the definitions: fix the name, or add its definition file next to this one.`
          : `Saga "${step.saga.name}" cannot be looked up: check this definition together with the others of its folder (\`saga validate <folder>\`).`,
        { saga: step.saga.name },
      );
    }
    return undefined;
  }
  if (entry.kind === "cycle") {
    if (report) {
      ctx.out.add(
        DiagnosticCode.subSagaCycle,
        [...path, "name"],
        `Starting "${step.saga.name}" here closes a cycle of sagas (${entry.cycle.join(" → ")}): each would start the next forever. Break the cycle by moving the shared steps into a saga that starts none of these.`,
        { cycle: entry.cycle },
      );
    }
    return undefined;
  }
  if (entry.kind === "invalid") return undefined;
  if (entry.saga.version !== step.saga.version) {
    if (report) {
      ctx.out.add(
        DiagnosticCode.subSagaVersionUnknown,
        [...path, "version"],
        `Saga "${step.saga.name}" is at version ${entry.saga.version}, not ${step.saga.version}: start the version its definition declares.`,
        { saga: step.saga.name, version: entry.saga.version },
      );
    }
    return undefined;
  }
  return entry.saga;
}

/**
 * `$.steps.<sub-saga step>.output…`: the child's declared output. A child that declares none
 * hands nothing over, so any read of it is refused.
 */
export function subSagaOutputSources(
  ctx: AnalysisContext,
  step: SagaStepDefinition,
  accessor: string | number | undefined,
  text: string,
  path: JsonPath,
): Array<Source & { name: string }> | undefined {
  if (accessor !== "output") {
    ctx.out.add(
      DiagnosticCode.pathStepAccessor,
      path,
      `Step "${step.name}" starts saga "${step.saga.name}": read what it hands over as $.steps.${step.name}.output.<field>.`,
    );
    return undefined;
  }
  const index = ctx.stepIndexByName.get(step.name);
  const child = index === undefined ? undefined : childOf(ctx, step, index, false);
  if (!child) return undefined;
  if (!child.output) {
    ctx.out.add(
      DiagnosticCode.subSagaOutputUndeclared,
      path,
      `Saga "${child.name}" declares no "output", so "${text}" reads nothing: add an "output" mapping to its definition, or read what this saga knows itself.`,
      { saga: child.name },
    );
    return undefined;
  }
  const schema = child.output.schema as JsonSchema;
  return [{ name: `output of ${child.name}`, root: schema, schema }];
}

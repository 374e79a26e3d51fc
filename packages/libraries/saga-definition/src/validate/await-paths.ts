// How a mapping or condition path reads an earlier `await` step: `$.steps.<step>.event.<field>`,
// checked against the payload schema of every success event of the step.
import { contractJsonSchema } from "../contract-registry.ts";
import type { AwaitStepDefinition } from "../definition-schema.ts";
import { DiagnosticCode, type JsonPath } from "../errors.ts";
import type { AnalysisContext, Source } from "./context.ts";

/**
 * The schemas `$.steps.<step>.event` reads: the payload of each success event. Undefined when
 * the accessor is wrong (reported) or an event is unknown (reported by the step's own checks).
 */
export function eventSources(
  ctx: AnalysisContext,
  step: AwaitStepDefinition,
  accessor: string | number | undefined,
  path: JsonPath,
): Array<Source & { name: string }> | undefined {
  if (accessor !== "event") {
    ctx.out.add(
      DiagnosticCode.pathStepAccessor,
      path,
      `Step "${step.name}" is an await step: read the event it received as $.steps.${step.name}.event.<field>.`,
    );
    return undefined;
  }
  const service = Object.hasOwn(ctx.contracts, step.service)
    ? ctx.contracts[step.service]
    : undefined;
  const sources: Array<Source & { name: string }> = [];
  for (const name of step.outcomes.success) {
    const event =
      service?.events && Object.hasOwn(service.events, name) ? service.events[name] : undefined;
    if (!event) return undefined;
    const json = contractJsonSchema(event.payload, "output");
    sources.push({ name, root: json, schema: json });
  }
  return sources;
}

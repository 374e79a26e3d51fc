// Every stored definition: its graph, its steps with their policies, its input schema and hash.
import type { CompiledRetryPolicy, CompiledStep, MappingExpr } from "@sagaworks/saga-definition";
import { type DefinitionSummary, getDefinition, listDefinitions } from "../api.ts";
import { ColumnHeads, ErrorNote, JsonDetails, Section } from "../components.tsx";
import { formatDuration } from "../format.ts";
import { MermaidGraph } from "../graph.tsx";
import { usePolling } from "../polling.ts";

function retryText(retry: CompiledRetryPolicy): string {
  const attempts = retry.maxAttempts === null ? "until success" : `${retry.maxAttempts} attempts`;
  const delays =
    retry.maxAttempts === 1
      ? ""
      : `, ${formatDuration(retry.initialDelayMs)} ×${retry.backoffRate} up to ${formatDuration(retry.maxDelayMs)}, jitter ${retry.jitter}`;
  const never = retry.nonRetryable.length
    ? `; never retried: ${retry.nonRetryable.join(", ")}`
    : "";
  return `${attempts}${delays}${never}`;
}

/** A compiled path (`{ ref: ["input", "paymentId"] }`) as written: `$.input.paymentId`. */
function pathText(expr: MappingExpr): string {
  if (!("ref" in expr)) return "(literal)";
  return `$${expr.ref.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("")}`;
}

function actionText(step: CompiledStep): string {
  if (step.action.kind === "await") {
    // A wait: the events it takes, the key it waits on, and what its deadline (the timeout
    // column) does.
    const events = [...step.outcomes.success, ...step.outcomes.businessFailure].join(" | ");
    return `${step.service} → ${events}, on key ${pathText(step.action.correlation)}; at the deadline: ${step.action.onDeadline}`;
  }
  if (step.action.kind === "saga") {
    // A child saga: which one, and how undoing the step reaches it.
    const undo = step.compensation
      ? step.compensation.kind === "child"
        ? "; undone by asking it to compensate"
        : `; past its pivot, undone by ${step.compensation.service} ← ${step.compensation.command}`
      : "";
    return `starts saga ${step.action.saga.name} v${step.action.saga.version}${undo}`;
  }
  return step.action.kind === "command"
    ? `${step.service} ← ${step.action.command}`
    : `${step.service} ← ${step.action.method} ${step.action.path}`;
}

/** The steps of a definition as a table: what each does and how it is retried and undone. */
export function StepsTable({ steps, pivot }: { steps: CompiledStep[]; pivot: string | null }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Steps</caption>
        <ColumnHeads names={["#", "step", "action", "role", "retry", "timeout", "compensation"]} />
        <tbody>
          {steps.map((step) => (
            <tr key={step.name}>
              <td>{step.index + 1}</td>
              <th scope="row">
                {step.name}
                {step.description ? <div class="muted">{step.description}</div> : null}
              </th>
              <td>
                <code>{actionText(step)}</code>
                <div class="muted">success: {step.outcomes.success.join(", ")}</div>
                {step.outcomes.businessFailure.length ? (
                  <div class="muted">
                    business failure: {step.outcomes.businessFailure.join(", ")}
                  </div>
                ) : null}
              </td>
              <td>{step.name === pivot ? <span class="badge pivot">pivot</span> : step.role}</td>
              <td>{retryText(step.retry)}</td>
              <td>{formatDuration(step.timeoutMs)}</td>
              <td>
                {step.compensation ? (
                  <>
                    <code>{step.compensation.command}</code>
                    <div class="muted">
                      {retryText(step.compensation.retry)}; timeout{" "}
                      {formatDuration(step.compensation.timeoutMs)}
                    </div>
                  </>
                ) : step.role === "read-only" ? (
                  "none (read-only)"
                ) : (
                  "none"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DefinitionPanel({ summary }: { summary: DefinitionSummary }) {
  const key = `${summary.name}@${summary.version}`;
  const { data, error } = usePolling(
    `definition:${key}`,
    () => getDefinition(summary.name, summary.version),
    null,
  );
  const id = `def-${summary.name}-${summary.version}`;
  return (
    <Section
      id={id}
      title={`${summary.name} v${summary.version}`}
      actions={
        summary.deployed ? (
          <span class="badge status-completed">deployed</span>
        ) : (
          <span class="badge">stored (older sagas run on it)</span>
        )
      }
    >
      <p class="hash">
        content hash <code>{summary.hash}</code>
      </p>
      {error ? <ErrorNote error={error} /> : null}
      {data ? (
        <>
          <p>{data.compiled.description}</p>
          <p class="muted">
            saga timeout:{" "}
            {data.compiled.timeoutMs === null ? "none" : formatDuration(data.compiled.timeoutMs)}
            {" · "}pivot: {data.compiled.pivot ?? "none"}
          </p>
          <div class="definition-grid">
            <MermaidGraph text={data.mermaid} label={`State diagram of ${key}`} />
            <div>
              <StepsTable steps={data.compiled.steps} pivot={data.compiled.pivot} />
              <JsonDetails summary="input schema (JSON Schema)" value={data.compiled.input} />
            </div>
          </div>
        </>
      ) : error ? null : (
        <p aria-busy="true">Loading…</p>
      )}
    </Section>
  );
}

/** The definitions page. */
export function DefinitionsPage() {
  const { data, error } = usePolling("definitions", listDefinitions, 10_000);
  return (
    <main id="main">
      <h1>Definitions</h1>
      {error ? <ErrorNote error={error} /> : null}
      {data?.length === 0 ? <p>No definition is stored.</p> : null}
      {data?.map((summary) => (
        <DefinitionPanel key={`${summary.name}@${summary.version}`} summary={summary} />
      ))}
    </main>
  );
}

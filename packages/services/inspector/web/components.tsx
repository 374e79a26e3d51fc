// Small pieces every page uses: status badges, expandable JSON, the API's errors.
import type { ComponentChildren } from "preact";
import { ApiError } from "./api.ts";
import { prettyJson } from "./format.ts";

/** A saga or step status, coloured by what it means. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}

/** JSON behind a disclosure: the summary is always visible, the body on demand. */
export function JsonDetails({
  summary,
  value,
  open = false,
}: {
  summary: ComponentChildren;
  value: unknown;
  open?: boolean;
}) {
  return (
    <details class="json" open={open}>
      <summary>{summary}</summary>
      <pre>{prettyJson(value)}</pre>
    </details>
  );
}

/** An error from the API as it said it: code and message. */
export function ErrorNote({ error, label }: { error: Error; label?: string }) {
  const code = error instanceof ApiError ? error.code : error.name;
  return (
    <div class="error-note" role="alert">
      {label ? <strong>{label}: </strong> : null}
      <code>{code}</code> {error.message}
    </div>
  );
}

/** A section with a heading, so pages read well with a screen reader's heading list. */
export function Section({
  title,
  id,
  children,
  actions,
}: {
  title: string;
  id: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="panel" aria-labelledby={`${id}-title`} id={id}>
      <header class="panel-header">
        <h2 id={`${id}-title`}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/**
 * A labelled filter select: an "any" choice (value "", shown as `anyLabel`) and then `choices`,
 * each a value and what the option shows; `onChange` gets the chosen value.
 */
export function FilterSelect({
  id,
  label,
  value,
  anyLabel,
  choices,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  anyLabel: string;
  choices: readonly (readonly [value: string, shown: string])[];
  onChange: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange((event.target as HTMLSelectElement).value)}
      >
        <option value="">{anyLabel}</option>
        {choices.map(([choice, shown]) => (
          <option key={choice} value={choice}>
            {shown}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A table's head: one row of column headers, in order. */
export function ColumnHeads({ names }: { names: readonly string[] }) {
  return (
    <thead>
      <tr>
        {names.map((name) => (
          <th key={name} scope="col">
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}

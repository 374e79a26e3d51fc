// The one error registry of the workspace, in Fastify's style: every package declares its codes
// once, with the HTTP status a service answers with and, where a code always words its message the
// same way, a message template. One class, `SagaworksError`, carries them all, so the HTTP error
// handlers read the status from the error instead of mapping codes by hand.
//
// Not `@fastify/error`: it makes one constructor per code with a printf-style message and puts the
// status in `statusCode` (which service-kit reads as "Fastify's own request error"); it has no
// structured `details`, no typed code table and does not refuse a code declared twice.

/** How a package declares one of its error codes. */
export interface ErrorSpec {
  /** The stable code, e.g. `ORDER_NOT_FOUND`: unique across the workspace, never reworded. */
  readonly code: string;
  /**
   * The HTTP status a service answers with. Unset: the code never reaches HTTP on purpose, and if
   * it does, the handler answers 500 `INTERNAL` (a bug, logged).
   */
  readonly status?: number;
  /**
   * A message for codes that always word it the same way; `{key}` is replaced by `details.key`.
   * Errors of such a code are made with {@link ErrorRegistry.format}.
   */
  readonly message?: string;
}

/** What `details` may hold: named facts, or a list (e.g. one entry per invalid field). */
export type ErrorDetails = Readonly<Record<string, unknown>> | readonly unknown[];

/** The options every error takes. */
export interface SagaworksErrorOptions {
  /** The error this one explains (a driver error, a zod error…). */
  cause?: unknown;
}

// code → who declared it and with what spec, for every registry defined in this process.
const declared = new Map<string, { owner: string; spec: ErrorSpec }>();

/**
 * An error with a stable `code`, a message that says what to do, structured `details`, the
 * `cause`, and the HTTP `status` its code was declared with (undefined when not HTTP-facing).
 */
export class SagaworksError<
  Code extends string = string,
  Details extends ErrorDetails = Record<string, unknown>,
> extends Error {
  readonly code: Code;
  readonly status: number | undefined;
  readonly details: Details;

  /** Prefer a registry's `create`/`format`, which only accept that package's codes. */
  constructor(code: Code, message: string, details?: Details, options?: SagaworksErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SagaworksError";
    this.code = code;
    this.status = declared.get(code)?.spec.status;
    this.details = details ?? ({} as Details);
  }
}

/** The code union of a registry: `type OrderErrorCode = ErrorCodeOf<typeof OrderErrors>`. */
export type ErrorCodeOf<Registry extends { readonly codes: Readonly<Record<string, string>> }> =
  Registry["codes"][keyof Registry["codes"]];

/** The error type of a registry: `type OrderError = ErrorOf<typeof OrderErrors>`. */
export type ErrorOf<Registry extends { readonly codes: Readonly<Record<string, string>> }> =
  SagaworksError<ErrorCodeOf<Registry>>;

/** The codes of a registry's specs, as a union of string literals. */
export type CodeOf<Specs extends Record<string, ErrorSpec>> = Specs[keyof Specs]["code"];

type SpecOf<Specs extends Record<string, ErrorSpec>, Code> = Extract<
  Specs[keyof Specs],
  { code: Code }
>;

type TemplatedCode<Specs extends Record<string, ErrorSpec>> = Extract<
  Specs[keyof Specs],
  { message: string }
>["code"];

type Placeholders<Template> = Template extends `${string}{${infer Key}}${infer Rest}`
  ? Key | Placeholders<Rest>
  : never;

/** The details a template needs: one value per `{key}` it names, plus any other facts. */
export type TemplateDetails<Template> = {
  readonly [Key in Placeholders<Template>]: string | number | boolean;
} & Readonly<Record<string, unknown>>;

/** A package's declared codes and the ways to make and recognise its errors. */
export interface ErrorRegistry<Specs extends Record<string, ErrorSpec>> {
  /** The package that declared these codes, e.g. `@sagaworks/order-service`. */
  readonly owner: string;
  /** Name → code, e.g. `codes.notFound === "ORDER_NOT_FOUND"`: the package's `XErrorCode` table. */
  readonly codes: { readonly [Name in keyof Specs]: Specs[Name]["code"] };
  /** An error of one of these codes with its own message. */
  create<Code extends CodeOf<Specs>, Details extends ErrorDetails = Record<string, unknown>>(
    code: Code,
    message: string,
    details?: Details,
    options?: SagaworksErrorOptions,
  ): SagaworksError<Code, Details>;
  /** An error of a code declared with a message template, worded by the template from `details`. */
  format<
    Code extends TemplatedCode<Specs>,
    Details extends TemplateDetails<SpecOf<Specs, Code>["message"]>,
  >(code: Code, details: Details, options?: SagaworksErrorOptions): SagaworksError<Code, Details>;
  /** True for an error of this registry (of `code`, when given). */
  is<Code extends CodeOf<Specs> = CodeOf<Specs>>(
    error: unknown,
    code?: Code,
  ): error is SagaworksError<Code>;
}

const PLACEHOLDER = /\{(\w+)\}/g;

function fillTemplate(template: string, details: Readonly<Record<string, unknown>>): string {
  // A key the details lack stays visible as `{key}`: a worse message, never a lost error.
  return template.replace(PLACEHOLDER, (whole, key: string) =>
    key in details ? String(details[key]) : whole,
  );
}

function checkSpec(owner: string, name: string, spec: ErrorSpec): void {
  const where = `defineErrors("${owner}"), entry "${name}"`;
  if (!/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(spec.code)) {
    throw new Error(
      `${where}: code "${spec.code}" is not UPPER_SNAKE_CASE; write it like ORDER_NOT_FOUND.`,
    );
  }
  if (
    spec.status !== undefined &&
    !(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599)
  ) {
    throw new Error(
      `${where}: status ${spec.status} is not an HTTP error status; use 400–599, or leave it out when the code never reaches HTTP.`,
    );
  }
}

/**
 * Declares a package's error codes, once, at module load. A code declared by another owner (or
 * twice in one call) is refused at once with both places named: clients branch on codes, so one
 * code must mean one thing. Loading the same module again (same owner, same spec) is allowed.
 */
export function defineErrors<const Specs extends Record<string, ErrorSpec>>(
  owner: string,
  specs: Specs,
): ErrorRegistry<Specs> {
  const own = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    checkSpec(owner, name, spec);
    const earlier = declared.get(spec.code);
    if (own.has(spec.code)) {
      throw new Error(
        `defineErrors("${owner}"): code ${spec.code} is declared twice; give each entry its own code.`,
      );
    }
    if (
      earlier &&
      (earlier.owner !== owner ||
        earlier.spec.status !== spec.status ||
        earlier.spec.message !== spec.message)
    ) {
      const fix =
        earlier.owner === owner
          ? " with another status or message; a loaded code keeps its meaning, so restart the process"
          : "; use that package's code, or choose another one";
      throw new Error(
        `defineErrors("${owner}"): code ${spec.code} is already declared by ${earlier.owner}${fix}.`,
      );
    }
    own.add(spec.code);
  }
  for (const spec of Object.values(specs)) declared.set(spec.code, { owner, spec });

  const byCode = new Map(Object.values(specs).map((spec) => [spec.code, spec]));
  const codes = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, spec.code]),
  ) as ErrorRegistry<Specs>["codes"];
  return {
    owner,
    codes: Object.freeze(codes),
    create: (code, message, details, options) =>
      new SagaworksError(code, message, details, options),
    format: (code, details, options) => {
      const template = byCode.get(code)?.message ?? code;
      return new SagaworksError(code, fillTemplate(template, details), details, options);
    },
    is: <Code extends CodeOf<Specs>>(error: unknown, code?: Code): error is SagaworksError<Code> =>
      error instanceof SagaworksError &&
      (code === undefined ? byCode.has(error.code) : error.code === code),
  };
}

/** The status and owner a code was declared with; undefined for a code no registry declares. */
export function declaredError(
  code: string,
): { owner: string; status: number | undefined } | undefined {
  const entry = declared.get(code);
  return entry ? { owner: entry.owner, status: entry.spec.status } : undefined;
}

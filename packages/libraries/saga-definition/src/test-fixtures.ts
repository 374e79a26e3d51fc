// Helpers for this package's tests: the shared fixture (exported from `/testing`) and assertions
// on a problem's code and path.
import { serviceContracts } from "@sagaworks/contracts";
import { expect } from "vitest";
import { type CompileResult, compileSaga } from "./compile.ts";
import type { CompiledSaga } from "./compiled-saga.ts";
import type { Diagnostic, JsonPath } from "./errors.ts";

import { type Loose, validDefinition } from "./testing/index.ts";

export { type Loose, validDefinition };

/** Compiles against the shipped contracts. */
export function compile(definition: unknown): CompileResult {
  return compileSaga(definition, { contracts: serviceContracts });
}

/** Asserts the definition compiles and returns the compiled saga. */
export function expectValid(definition: unknown): CompiledSaga {
  const result = compile(definition);
  if (!result.ok) {
    throw new Error(
      `expected a valid definition, got:\n${JSON.stringify(result.diagnostics, null, 2)}`,
    );
  }
  return result.saga;
}

/** Asserts the definition fails with (at least) a problem of `code` at `path`. */
export function expectProblem(definition: unknown, code: string, path: JsonPath): Diagnostic {
  const result = compile(definition);
  expect(result.ok).toBe(false);
  const found = result.diagnostics.find(
    (diagnostic) =>
      diagnostic.code === code && JSON.stringify(diagnostic.path) === JSON.stringify(path),
  );
  if (!found) {
    throw new Error(
      `expected ${code} at ${JSON.stringify(path)}, got:\n${result.diagnostics
        .map((d) => `${d.code} ${JSON.stringify(d.path)} ${d.message}`)
        .join("\n")}`,
    );
  }
  expect(found.message.length).toBeGreaterThan(20);
  expect(found.pointer.startsWith("$")).toBe(true);
  return found;
}

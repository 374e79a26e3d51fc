// Diagnostics of the validator: the collector every check writes to, and the translation of zod
// issues into coded problems that say how to fix them.
import type { z } from "zod";
import { MESSAGE_NAME_PATTERN, NAME_PATTERN } from "../definition-schema.ts";
import { DURATION_PATTERN } from "../duration.ts";
import { type Diagnostic, DiagnosticCode, formatJsonPath, type JsonPath } from "../errors.ts";
import { literalType } from "../json-schema-walk.ts";

/** Collects diagnostics; turns zod issues into coded diagnostics with fixes. */
export class Collector {
  readonly diagnostics: Diagnostic[] = [];

  add(code: DiagnosticCode, path: JsonPath, message: string, details?: Record<string, unknown>) {
    const diagnostic: Diagnostic = {
      code,
      message,
      path: [...path],
      pointer: formatJsonPath(path),
    };
    if (details) diagnostic.details = details;
    this.diagnostics.push(diagnostic);
  }

  /** Turns zod issues (relative to `prefix`) into diagnostics with codes and fixes. */
  addZodIssues(issues: readonly z.core.$ZodIssue[], prefix: JsonPath) {
    for (const issue of issues) {
      const path = [...prefix, ...(issue.path as Array<string | number>)];
      this.addZodIssue(issue, path);
    }
  }

  private addZodIssue(issue: z.core.$ZodIssue, path: JsonPath) {
    const where = formatJsonPath(path);
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          this.add(
            DiagnosticCode.fieldUnknown,
            [...path, key],
            `Remove "${key}" from ${where}: the format has no such field (check its spelling against the JSON Schema).`,
          );
        }
        return;
      case "invalid_type":
        if (issue.input === undefined) {
          this.add(
            DiagnosticCode.fieldMissing,
            path,
            `Add the required field ${where} (expected ${issue.expected}).`,
          );
        } else {
          this.add(
            DiagnosticCode.fieldInvalid,
            path,
            `Change ${where} to a ${issue.expected}; it is ${literalType(issue.input)}.`,
          );
        }
        return;
      case "invalid_format":
        if (issue.format === "regex" && "pattern" in issue) {
          const pattern = String(issue.pattern);
          if (pattern === String(DURATION_PATTERN)) {
            this.add(
              DiagnosticCode.durationInvalid,
              path,
              `Write ${where} as a duration such as "250ms", "30s", "5m", "1h30m" or "7d" (units largest first).`,
            );
            return;
          }
          if (pattern === String(NAME_PATTERN)) {
            this.add(
              DiagnosticCode.nameInvalid,
              path,
              `Write ${where} in kebab-case: lower-case letters and digits separated by single hyphens, e.g. "create-order".`,
            );
            return;
          }
          if (pattern === String(MESSAGE_NAME_PATTERN)) {
            this.add(
              DiagnosticCode.nameInvalid,
              path,
              `Write ${where} in PascalCase as the contract declares it, e.g. "CreateOrder".`,
            );
            return;
          }
        }
        this.add(DiagnosticCode.fieldInvalid, path, `Fix ${where}: ${issue.message}.`);
        return;
      case "invalid_union":
        if ("discriminator" in issue && issue.discriminator === "kind") {
          this.add(
            DiagnosticCode.stepKindInvalid,
            path,
            `Set ${where} to "command" (a command over SQS) or "http" (a synchronous HTTP call).`,
          );
          return;
        }
        this.add(DiagnosticCode.fieldInvalid, path, `Fix ${where}: ${issue.message}.`);
        return;
      case "invalid_value":
        if (path[path.length - 1] === "type" && path.length === 2 && path[0] === "input") {
          this.add(
            DiagnosticCode.inputSchemaInvalid,
            path,
            'The input schema must describe an object: set "input.type" to "object" and list its fields in "input.properties".',
          );
          return;
        }
        this.add(
          DiagnosticCode.fieldInvalid,
          path,
          `Change ${where} to one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}.`,
        );
        return;
      default:
        this.add(DiagnosticCode.fieldInvalid, path, `Fix ${where}: ${issue.message}.`);
    }
  }
}

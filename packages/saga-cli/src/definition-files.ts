// Finding and reading definition files: the only file-system code around the pure compiler.
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { type CompiledSaga, compileSaga } from "@sagaworks/saga-definition";
import { FileProblemCode } from "./errors.ts";
import { type FileProblem, parseSourceDocument } from "./source-document.ts";

/**
 * Largest definition file accepted: 256 KiB. A hand-written 100-step saga is about 60 KiB, so this
 * leaves room for four times that while refusing generated or pasted blobs before parsing them.
 * It also matches SNS's 256 KB ceiling: literals in a definition travel in messages, and a file
 * bigger than an SNS message almost certainly embeds data that belongs in a store, not a saga.
 */
export const MAX_DEFINITION_BYTES = 256 * 1024;

/** Suffix of definition files. */
export const DEFINITION_SUFFIX = ".saga.json";

/** The outcome of checking one file. */
export interface FileResult {
  file: string;
  saga: CompiledSaga | undefined;
  problems: FileProblem[];
}

function problemAt(file: string, code: string, message: string): FileProblem {
  return { code, message, file, line: 1, column: 1, path: [], pointer: "$" };
}

/** Expands files and folders into the sorted list of `*.saga.json` files they hold. */
export async function collectDefinitionFiles(targets: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = await readdir(target, { recursive: true });
      for (const entry of entries) {
        if (entry.endsWith(DEFINITION_SUFFIX) && !entry.split(/[\\/]/).includes("node_modules")) {
          files.push(join(target, entry));
        }
      }
    } else {
      files.push(target);
    }
  }
  return [...new Set(files)].sort();
}

/** Reads, parses, validates and compiles one definition file; never throws. */
export async function checkDefinitionFile(file: string, displayName = file): Promise<FileResult> {
  const info = await stat(file).catch((error: unknown) => error as Error);
  if (info instanceof Error || !info.isFile()) {
    const reason = info instanceof Error ? info.message : "it is not a file";
    return {
      file: displayName,
      saga: undefined,
      problems: [
        problemAt(
          displayName,
          FileProblemCode.fileUnreadable,
          `Cannot read the file (${reason}); check the path.`,
        ),
      ],
    };
  }
  if (info.size > MAX_DEFINITION_BYTES) {
    return {
      file: displayName,
      saga: undefined,
      problems: [
        problemAt(
          displayName,
          FileProblemCode.fileTooLarge,
          `The file is ${info.size} bytes; definitions are limited to ${MAX_DEFINITION_BYTES} bytes (256 KiB). Split the saga, or move large literal data out of the definition.`,
        ),
      ],
    };
  }
  const text = await readFile(file, "utf8");
  const parsed = parseSourceDocument(text, displayName);
  if (!parsed.ok) return { file: displayName, saga: undefined, problems: parsed.problems };
  const { value, locate } = parsed.document;
  const result = compileSaga(value, { contracts: serviceContracts, file: displayName, locate });
  const problems: FileProblem[] = result.diagnostics.map((diagnostic) => ({
    code: diagnostic.code,
    message: diagnostic.message,
    file: displayName,
    line: diagnostic.line ?? 1,
    column: diagnostic.column ?? 1,
    path: diagnostic.path,
    pointer: diagnostic.pointer,
  }));
  const name =
    typeof value === "object" && value !== null ? (value as { name?: unknown }).name : undefined;
  const expected = basename(file).endsWith(DEFINITION_SUFFIX)
    ? basename(file).slice(0, -DEFINITION_SUFFIX.length)
    : undefined;
  if (typeof name === "string" && name !== expected) {
    problems.push({
      code: FileProblemCode.fileNameMismatch,
      message: `Name the file "${name}${DEFINITION_SUFFIX}" or set "name" to "${expected ?? basename(file)}": one saga per file, named after it.`,
      file: displayName,
      ...locate(["name"]),
      path: ["name"],
      pointer: "$.name",
    });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { file: displayName, saga: result.ok ? result.saga : undefined, problems };
}

/** Reports sagas that share a name across files (the engine keys definitions by name). */
export function crossFileProblems(results: readonly FileResult[]): FileProblem[] {
  const byName = new Map<string, FileResult>();
  const problems: FileProblem[] = [];
  for (const result of results) {
    if (!result.saga) continue;
    const first = byName.get(result.saga.name);
    if (first) {
      problems.push({
        code: FileProblemCode.sagaNameDuplicate,
        message: `Rename this saga: "${result.saga.name}" is already defined in ${first.file}. Keep one file per saga and bump "version" instead.`,
        file: result.file,
        line: 1,
        column: 1,
        path: ["name"],
        pointer: "$.name",
      });
    } else {
      byName.set(result.saga.name, result);
    }
  }
  return problems;
}

// Finding and reading definition files: the file-system code around the pure compiler, shared by
// `saga validate` and the orchestrator's start-up so both accept exactly the same files.
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { compileSaga } from "../compile.ts";
import type { CompiledSaga } from "../compiled-saga.ts";
import type { ContractRegistry } from "../contract-registry.ts";
import {
  formatJsonPath,
  SagaDefinitionErrorCode,
  SagaDefinitionErrors,
  type SourcePosition,
} from "../errors.ts";
import { compileInputSchema } from "../input-schema.ts";
import { compilationOrder, referencedSagas, type SagaLookup } from "../sub-saga/saga-catalog.ts";
import { type FileProblem, FileProblemCode } from "./file-problem.ts";
import { parseSourceDocument } from "./source-document.ts";

/**
 * Largest definition file accepted: 256 KiB. A hand-written 100-step saga is about 60 KiB, so this
 * leaves room for four times that while refusing generated or pasted blobs before parsing them.
 * It also matches SNS's 256 KB ceiling: literals in a definition travel in messages, and a file
 * bigger than an SNS message almost certainly embeds data that belongs in a store, not a saga.
 */
export const MAX_DEFINITION_BYTES = 256 * 1024;

/** Suffix of definition files. */
export const DEFINITION_SUFFIX = ".saga.json";

/** What checking a definition needs: the contracts it is checked against. */
export interface DefinitionCheckOptions {
  /** The services, commands, replies and endpoints (e.g. `serviceContracts` of `@sagaworks/contracts`). */
  contracts: ContractRegistry;
}

/** The outcome of checking one file. */
export interface FileResult {
  file: string;
  saga: CompiledSaga | undefined;
  problems: FileProblem[];
  /** Where the saga's `name` is written (1:1 when the file could not be parsed). */
  namePosition: SourcePosition;
}

function problemAt(file: string, code: string, message: string): FileProblem {
  return { code, message, file, line: 1, column: 1, path: [], pointer: "$" };
}

function tooLarge(bytes: number): string {
  return `The file is ${bytes} bytes; definitions are limited to ${MAX_DEFINITION_BYTES} bytes (256 KiB). Split the saga, or move large literal data out of the definition.`;
}

const START: SourcePosition = { line: 1, column: 1 };

/**
 * The `*.saga.json` files in a folder and its subfolders. Walked by hand rather than with
 * `readdir({ recursive: true })`, which descends into `node_modules` (and through its symlinks,
 * into the whole workspace) before any filter applies: the definitions folder is a workspace
 * package, so a dependency of it would make every validation walk the dependency tree. Neither
 * `node_modules` nor a symlinked folder is entered.
 */
async function definitionFilesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") found.push(...(await definitionFilesUnder(path)));
    } else if (
      entry.name.endsWith(DEFINITION_SUFFIX) &&
      (entry.isFile() || entry.isSymbolicLink())
    ) {
      found.push(path);
    }
  }
  return found;
}

/** Expands files and folders into the sorted list of `*.saga.json` files they hold. */
export async function collectDefinitionFiles(targets: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      files.push(...(await definitionFilesUnder(target)));
    } else {
      files.push(target);
    }
  }
  return [...new Set(files)].sort();
}

/**
 * Parses, validates and compiles a definition's text, and compiles its input schema with the
 * same Ajv configuration the orchestrator uses. Pure and never throws: `displayName` is only
 * copied into problems, and `fileName` (the file's base name) is checked against the saga's name.
 */
export function checkDefinitionText(
  text: string,
  displayName: string,
  options: DefinitionCheckOptions & { fileName?: string; sagas?: SagaLookup },
): FileResult {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_DEFINITION_BYTES) {
    return {
      file: displayName,
      saga: undefined,
      problems: [problemAt(displayName, FileProblemCode.fileTooLarge, tooLarge(bytes))],
      namePosition: START,
    };
  }
  const parsed = parseSourceDocument(text, displayName);
  if (!parsed.ok) {
    return { file: displayName, saga: undefined, problems: parsed.problems, namePosition: START };
  }
  const { value, locate } = parsed.document;
  const result = compileSaga(value, {
    contracts: options.contracts,
    file: displayName,
    locate,
    ...(options.sagas ? { sagas: options.sagas } : {}),
  });
  const problems: FileProblem[] = result.diagnostics.map((diagnostic) => ({
    code: diagnostic.code,
    message: diagnostic.message,
    file: displayName,
    line: diagnostic.line ?? 1,
    column: diagnostic.column ?? 1,
    path: diagnostic.path,
    pointer: diagnostic.pointer,
  }));
  let inputOk = true;
  if (result.ok) {
    const input = compileInputSchema(result.saga.input);
    inputOk = input.ok;
    if (!input.ok) {
      for (const problem of input.problems) {
        problems.push({
          code: problem.code,
          message: problem.message,
          file: displayName,
          ...locate(problem.path),
          path: problem.path,
          pointer: formatJsonPath(problem.path),
        });
      }
    }
  }
  const name =
    typeof value === "object" && value !== null ? (value as { name?: unknown }).name : undefined;
  const fileName = options.fileName ?? basename(displayName);
  const expected = fileName.endsWith(DEFINITION_SUFFIX)
    ? fileName.slice(0, -DEFINITION_SUFFIX.length)
    : undefined;
  if (typeof name === "string" && name !== expected) {
    problems.push({
      code: FileProblemCode.fileNameMismatch,
      message: `Name the file "${name}${DEFINITION_SUFFIX}" or set "name" to "${expected ?? fileName}": one saga per file, named after it.`,
      file: displayName,
      ...locate(["name"]),
      path: ["name"],
      pointer: "$.name",
    });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    file: displayName,
    saga: result.ok && inputOk ? result.saga : undefined,
    problems,
    namePosition: locate(["name"]),
  };
}

/**
 * Reads, parses, validates and compiles one definition file; never throws. Without `sagas`, the
 * other definitions of its folder are compiled too, so that a sub-saga step is checked against
 * the saga it starts (their own problems are not reported here).
 */
export async function checkDefinitionFile(
  file: string,
  options: DefinitionCheckOptions & { displayName?: string; sagas?: SagaLookup },
): Promise<FileResult> {
  const displayName = options.displayName ?? file;
  if (options.sagas === undefined && file.endsWith(DEFINITION_SUFFIX)) {
    const target = resolve(file);
    const checked = await checkDefinitionFiles([dirname(target)], {
      contracts: options.contracts,
      display: (candidate) => (candidate === target ? displayName : candidate),
    });
    const own = checked.results.find((result) => result.file === displayName);
    if (own) return own;
  }
  const read = await readDefinitionFile(file, displayName);
  if ("result" in read) return read.result;
  return checkDefinitionText(read.text, read.displayName, {
    contracts: options.contracts,
    fileName: basename(file),
    ...(options.sagas ? { sagas: options.sagas } : {}),
  });
}

/** A definition file's text, or the result that says why it cannot be read. */
async function readDefinitionFile(
  file: string,
  displayName: string,
): Promise<{ text: string; displayName: string } | { result: FileResult }> {
  const failed = (code: string, message: string): { result: FileResult } => ({
    result: {
      file: displayName,
      saga: undefined,
      problems: [problemAt(displayName, code, message)],
      namePosition: START,
    },
  });
  const info = await stat(file).catch((error: unknown) => error as Error);
  if (info instanceof Error || !info.isFile()) {
    const reason = info instanceof Error ? info.message : "it is not a file";
    return failed(
      FileProblemCode.fileUnreadable,
      `Cannot read the file (${reason}); check the path.`,
    );
  }
  if (info.size > MAX_DEFINITION_BYTES) {
    return failed(FileProblemCode.fileTooLarge, tooLarge(info.size));
  }
  const text = await readFile(file, "utf8").catch((error: unknown) => error as Error);
  if (text instanceof Error) {
    return failed(
      FileProblemCode.fileUnreadable,
      `Cannot read the file (${text.message}); check the path.`,
    );
  }
  return { text, displayName };
}

/**
 * The order to check files in (by index: children before parents, the rest after) and each
 * file's saga name as written, with the cycles of sub-saga references. A file that does not
 * parse names no saga; it is checked like the others and reports its own problems.
 */
function planCompilation(texts: ReadonlyArray<string | undefined>): {
  order: number[];
  names: Array<string | undefined>;
  cycles: Map<string, string[]>;
} {
  const names: Array<string | undefined> = [];
  const references = new Map<string, string[]>();
  const firstFile = new Map<string, number>();
  texts.forEach((text, index) => {
    let raw: unknown;
    try {
      raw = text === undefined ? undefined : JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const name =
      typeof raw === "object" &&
      raw !== null &&
      typeof (raw as { name?: unknown }).name === "string"
        ? (raw as { name: string }).name
        : undefined;
    names.push(name);
    if (name !== undefined && !firstFile.has(name)) {
      firstFile.set(name, index);
      references.set(name, referencedSagas(raw));
    }
  });
  const { order, cycles } = compilationOrder(references);
  const first = order.map((name) => firstFile.get(name) as number);
  const rest = texts.map((_, index) => index).filter((index) => !first.includes(index));
  return { order: [...first, ...rest], names, cycles };
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
        ...result.namePosition,
        path: ["name"],
        pointer: "$.name",
      });
    } else {
      byName.set(result.saga.name, result);
    }
  }
  return problems;
}

/** One definition's text as a set of definitions is checked: where it came from, for problems. */
export interface DefinitionText {
  text: string;
  /** Copied into problems (a path as the user wrote it, or `ref:path` for a git base). */
  displayName: string;
  /** The file's base name, checked against the saga's name. */
  fileName: string;
}

/**
 * Checks a set of definitions together, as one folder: children compile before their parents,
 * whose sub-saga steps are checked against them, and a reference that closes a cycle is told so.
 * Pure (texts in, one result per text, in the same order); the file and git readers share it.
 */
export function checkDefinitionTexts(
  texts: readonly DefinitionText[],
  options: DefinitionCheckOptions,
): FileResult[] {
  const plan = planCompilation(texts.map((entry) => entry.text));
  const results: FileResult[] = new Array(texts.length);
  const compiled = new Map<string, CompiledSaga>();
  for (const at of plan.order) {
    const entry = texts[at] as DefinitionText;
    const own = plan.names[at];
    const lookup: SagaLookup = (name) => {
      const saga = compiled.get(name);
      if (saga) return { kind: "compiled", saga };
      const cycle = own === undefined ? undefined : plan.cycles.get(own);
      if (cycle?.includes(name)) return { kind: "cycle", cycle };
      return plan.names.includes(name) ? { kind: "invalid" } : undefined;
    };
    const result = checkDefinitionText(entry.text, entry.displayName, {
      contracts: options.contracts,
      fileName: entry.fileName,
      sagas: lookup,
    });
    if (result.saga && !compiled.has(result.saga.name)) compiled.set(result.saga.name, result.saga);
    results[at] = result;
  }
  return results;
}

/** Every file's result plus the problems across files, for a list of files or folders. */
export async function checkDefinitionFiles(
  targets: readonly string[],
  options: DefinitionCheckOptions & { display?: (file: string) => string },
): Promise<{ files: string[]; results: FileResult[]; problems: FileProblem[] }> {
  const files = await collectDefinitionFiles(targets);
  const reads = await Promise.all(
    files.map((file) => readDefinitionFile(file, options.display ? options.display(file) : file)),
  );
  // The files that could be read are checked together; the others keep their read problem.
  const readable = reads.flatMap((read, at) =>
    "text" in read
      ? [
          {
            at,
            text: read.text,
            displayName: read.displayName,
            fileName: basename(files[at] as string),
          },
        ]
      : [],
  );
  const checked = checkDefinitionTexts(readable, options);
  const checkedAt = new Map(readable.map((entry, index) => [entry.at, checked[index]]));
  const results = reads.map((read, at) =>
    "result" in read ? read.result : (checkedAt.get(at) as FileResult),
  );
  const problems = [...results.flatMap((result) => result.problems), ...crossFileProblems(results)];
  return { files, results, problems };
}

/**
 * Reads and compiles every definition in a folder with the checks of `saga validate` (the same
 * loader, contracts and input-schema compiler), for a process that runs or derives from all of
 * them. Any problem is one `SAGA_DEFINITIONS_INVALID` error listing every problem, as is a folder
 * with no definitions: half a set of definitions would run half the sagas, or miss queues.
 * `where` ends the message with how to point the caller at the right folder.
 */
export async function loadDefinitionFolder(
  folder: string,
  options: DefinitionCheckOptions & { where: string },
): Promise<CompiledSaga[]> {
  const { files, results, problems } = await checkDefinitionFiles([folder], options);
  if (files.length === 0) {
    throw SagaDefinitionErrors.create(
      SagaDefinitionErrorCode.definitionsInvalid,
      `No *${DEFINITION_SUFFIX} files in ${folder}. ${options.where}`,
      { folder },
    );
  }
  if (problems.length > 0) {
    const list = problems
      .map((p) => `  ${p.file}:${p.line}:${p.column} ${p.code} ${p.message}`)
      .join("\n");
    throw SagaDefinitionErrors.create(
      SagaDefinitionErrorCode.definitionsInvalid,
      `The saga definitions in ${folder} have ${problems.length} problem(s); run \`saga validate\`:\n${list}`,
      { folder, problems },
    );
  }
  return results.flatMap((result) => (result.saga ? [result.saga] : []));
}

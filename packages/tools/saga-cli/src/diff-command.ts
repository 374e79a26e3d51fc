// `saga diff <files or folders> --against <ref>`: compiles each definition as it is now and as it
// was at the ref, and reports what changed (saga-definition's `diffSagas`), what today's contracts
// break for a base version that may still have sagas in flight, and, with an orchestrator URL,
// how many sagas each version still runs. Findings are `file:line:col CODE severity: message`,
// located in the new file.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import {
  type CompiledSaga,
  diffSagas,
  formatJsonPath,
  inFlightContractChanges,
  type JsonPath,
  type SagaChange,
  SagaDiffCode,
} from "@sagaworks/saga-definition";
import {
  checkDefinitionTexts,
  collectDefinitionFiles,
  DEFINITION_SUFFIX,
  FileProblemCode,
  type FileResult,
  parseSourceDocument,
} from "@sagaworks/saga-definition/files";
import { type BaseContracts, loadBaseContracts } from "./base-contracts.ts";
import { display, parse } from "./cli-args.ts";
import type { CliIo } from "./cli-io.ts";
import { CliErrorCode, CliErrors } from "./errors.ts";
import { filesAtBase, readAtBase, repoPath, resolveGitBase } from "./git-base.ts";
import {
  describeInFlight,
  fetchInFlight,
  type InFlightReport,
  type InFlightRow,
} from "./in-flight-client.ts";

/** One finding as printed: a `SagaChange` (or a validator problem) located in a file. */
export interface DiffFinding {
  file: string;
  line: number;
  column: number;
  code: string;
  severity: "error" | "note";
  message: string;
  path: JsonPath;
  pointer: string;
  step?: string;
}

/** What `saga diff` found for one definition file. */
export interface DiffFileReport {
  file: string;
  name: string | null;
  before: { version: number; hash: string } | null;
  after: { version: number; hash: string } | null;
}

interface Side {
  text: string;
  saga: CompiledSaga | undefined;
  value: unknown;
}

const START = { line: 1, column: 1 };

type CompiledSide = {
  result: FileResult;
  side: Side;
  locate: (path: JsonPath) => { line: number; column: number };
};

/**
 * Compiles one side of the comparison (the files now, or at the base) as one folder, so that a
 * saga starting another is checked against that side's child; keyed by the repository path.
 */
function compileSides(
  entries: ReadonlyArray<{ path: string; text: string; displayName: string }>,
  registry: BaseContracts["registry"],
): Map<string, CompiledSide> {
  const results = checkDefinitionTexts(
    entries.map((entry) => ({
      text: entry.text,
      displayName: entry.displayName,
      fileName: basename(entry.path),
    })),
    { contracts: registry },
  );
  const sides = new Map<string, CompiledSide>();
  entries.forEach((entry, index) => {
    const result = results[index] as FileResult;
    const parsed = parseSourceDocument(entry.text, entry.displayName);
    sides.set(entry.path, {
      result,
      side: {
        text: entry.text,
        saga: result.problems.length === 0 ? result.saga : undefined,
        value: parsed.ok ? parsed.document.value : undefined,
      },
      locate: parsed.ok ? parsed.document.locate : () => START,
    });
  });
  return sides;
}

/** Runs `saga diff`; returns the exit status. */
export async function diffCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    against: { type: "string" },
    json: { type: "boolean", default: false },
    "orchestrator-url": { type: "string" },
    allow: { type: "string", multiple: true },
  });
  if (typeof values.against !== "string" || values.against === "") {
    throw CliErrors.create(
      CliErrorCode.usage,
      "saga diff needs --against <git ref>: the commit to compare with (in CI, the merge base with main).",
    );
  }
  const url = values["orchestrator-url"];
  const token = io.env?.ORCHESTRATOR_API_TOKEN;
  if (typeof url === "string" && !token) {
    throw CliErrors.create(
      CliErrorCode.usage,
      "--orchestrator-url needs the API token in ORCHESTRATOR_API_TOKEN.",
    );
  }
  const allowed = new Set(
    ((values.allow as string[] | undefined) ?? []).flatMap((list) => list.split(",")),
  );
  const base = resolveGitBase(io.cwd, values.against);
  const targets = (positionals.length > 0 ? positionals : ["saga-definitions"]).map((target) =>
    resolve(io.cwd, target),
  );

  // Files now and at the base, paired by their path in the repository.
  const now = new Map<string, string>();
  for (const file of await collectDefinitionFiles(targets.filter((t) => existsSync(t)))) {
    now.set(repoPath(base, file), file);
  }
  const then = new Set<string>();
  for (const target of targets) {
    for (const file of filesAtBase(base, repoPath(base, target))) {
      if (file.endsWith(DEFINITION_SUFFIX)) then.add(file);
    }
  }
  const paths = [...new Set([...now.keys(), ...then])].sort();

  const findings: DiffFinding[] = [];
  const files: DiffFileReport[] = [];
  const contracts =
    then.size > 0
      ? await loadBaseContracts(base, serviceContracts)
      : ({ registry: serviceContracts, source: "unchanged", note: "nothing at the base" } as const);
  const inFlight: InFlightReport | undefined =
    typeof url === "string" ? await fetchInFlight(url, token as string) : undefined;
  if (inFlight && !inFlight.ok) {
    findings.push({
      file: inFlight.url,
      ...START,
      code: SagaDiffCode.inFlightUnavailable,
      severity: "error",
      message: `Cannot read the in-flight sagas from the orchestrator: ${inFlight.reason}. Check --orchestrator-url and ORCHESTRATOR_API_TOKEN.`,
      path: [],
      pointer: "$",
    });
  }

  const newEntries = await Promise.all(
    [...now].map(async ([path, absolute]) => ({
      path,
      text: await readFile(absolute, "utf8"),
      displayName: display(io, absolute),
    })),
  );
  const oldEntries = [...then].flatMap((path) => {
    const text = readAtBase(base, path);
    return text === undefined ? [] : [{ path, text, displayName: `${base.ref}:${path}` }];
  });
  const afterSides = compileSides(newEntries, serviceContracts);
  const beforeSides = compileSides(oldEntries, contracts.registry);

  for (const path of paths) {
    const absolute = now.get(path) ?? join(base.root, path);
    const shown = display(io, absolute);
    const after = afterSides.get(path);
    const before = beforeSides.get(path);
    const locate = after?.locate ?? (() => START);
    const add = (change: SagaChange) => {
      const at = after ? locate(change.path) : START;
      findings.push({
        file: shown,
        ...at,
        code: change.code,
        severity: allowed.has(change.code) ? "note" : change.severity,
        message: change.message,
        path: change.path,
        pointer: formatJsonPath(change.path),
        ...(change.step ? { step: change.step } : {}),
      });
    };

    // A file that does not validate now is reported as `saga validate` would; nothing to compare.
    if (after && after.result.problems.length > 0) {
      for (const problem of after.result.problems) {
        findings.push({ ...problem, severity: "error", file: shown });
      }
    }
    if (before && !before.side.saga) {
      const first = before.result.problems[0];
      add({
        code: SagaDiffCode.baseUnreadable,
        severity: "note",
        message: `The definition at ${base.ref} does not compile (${first ? `${first.code} ${first.message}` : "unknown problem"}); nothing to compare with.`,
        path: [],
      });
    }
    const oldSaga = before?.side.saga;
    const newSaga = after?.side.saga;
    const name = newSaga?.name ?? oldSaga?.name ?? null;
    files.push({
      file: shown,
      name,
      before: oldSaga ? { version: oldSaga.version, hash: oldSaga.hash } : null,
      after: newSaga ? { version: newSaga.version, hash: newSaga.hash } : null,
    });
    if (!before && newSaga) {
      add({
        code: SagaDiffCode.sagaAdded,
        severity: "note",
        message: `${newSaga.name} v${newSaga.version} is new since ${base.ref}.`,
        path: ["name"],
      });
    }
    if (!after && oldSaga) {
      add({
        code: SagaDiffCode.sagaRemoved,
        severity: "note",
        message: `${oldSaga.name} (v${oldSaga.version} at ${base.ref}) was removed: the orchestrator no longer starts it, while sagas already running finish on the stored definition.`,
        path: [],
      });
    }
    if (oldSaga && newSaga) for (const change of diffSagas(oldSaga, newSaga)) add(change);

    // The base version keeps running where it has sagas in flight: today's contracts must fit it.
    const rows =
      inFlight?.ok && name ? inFlight.items.filter((row) => row.name === name) : undefined;
    if (oldSaga && before && (!newSaga || newSaga.version !== oldSaga.version)) {
      const idle = rows !== undefined && !rows.some((row) => row.version === oldSaga.version);
      for (const change of inFlightContractChanges(
        before.side.value,
        oldSaga,
        newSaga,
        serviceContracts,
      )) {
        add(
          idle
            ? {
                ...change,
                severity: "note",
                message: `${change.message} (No v${oldSaga.version} saga is in flight at ${url}, so nothing breaks there now.)`,
              }
            : change,
        );
      }
    }
    if (rows && name) {
      for (const note of inFlightNotes(name, rows, oldSaga, newSaga, base.ref)) add(note);
    }
  }

  if (paths.length === 0) {
    findings.push({
      file: targets.map((target) => display(io, target)).join(","),
      ...START,
      code: FileProblemCode.noDefinitionsFound,
      severity: "error",
      message: `No *.saga.json files in ${targets.map((t) => display(io, t)).join(", ")}, now or at ${base.ref}; pass files or folders that hold definitions.`,
      path: [],
      pointer: "$",
    });
  }
  const errors = findings.filter((finding) => finding.severity === "error").length;
  if (values.json) {
    io.stdout(
      `${JSON.stringify(
        {
          ok: errors === 0,
          against: { ref: base.ref, commit: base.commit },
          contracts: { source: contracts.source, note: contracts.note },
          inFlight: inFlight ?? null,
          files,
          findings,
        },
        null,
        2,
      )}\n`,
    );
    return errors === 0 ? 0 : 1;
  }
  for (const finding of findings) {
    io.stdout(
      `${finding.file}:${finding.line}:${finding.column} ${finding.code} ${finding.severity}: ${finding.message}\n`,
    );
  }
  io.stderr(`saga diff against ${base.ref} (${base.commit.slice(0, 12)}): ${contracts.note}\n`);
  const notes = findings.length - errors;
  if (errors > 0) {
    io.stderr(`✗ ${errors} error(s), ${notes} note(s) in ${paths.length} file(s)\n`);
    return 1;
  }
  io.stderr(`OK ${paths.length} definition file(s): nothing breaks; ${notes} note(s)\n`);
  return 0;
}

/** One note per version with sagas in flight: how many, where, and whether it was checked. */
function inFlightNotes(
  name: string,
  rows: readonly InFlightRow[],
  before: CompiledSaga | undefined,
  after: CompiledSaga | undefined,
  ref: string,
): SagaChange[] {
  const versions = [...new Set(rows.map((row) => row.version))].sort((a, b) => a - b);
  return versions.map((version) => {
    const list = rows.filter((row) => row.version === version);
    const checked =
      version === before?.version || version === after?.version
        ? ""
        : ` Its definition is not the one at ${ref} nor today's, so its contracts were not checked here: keep what it uses until these finish.`;
    return {
      code: SagaDiffCode.inFlight,
      severity: "note",
      message: `${name} v${version} has sagas in flight: ${describeInFlight(list)}.${checked}`,
      path: ["version"],
    };
  });
}

// The service contracts as they were at the diff's base. The base version of a definition is
// compiled against them (its compiled form depends on them: a compensation's success replies come
// from the contract), and today's contracts are then checked against the base version, which may
// still have sagas in flight.
//
// When nothing under the contracts package changed since the base, today's registry is used for
// both sides. Otherwise the package's `src/` at the base is written (with `git show`) into a
// temporary folder inside today's contracts package, so its imports (zod, @sagaworks/errors)
// resolve to the installed dependencies, imported, and removed again. Should that fail (the base
// predates the package, or its code no longer loads), today's contracts stand in, and the report
// says so.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ContractRegistry } from "@sagaworks/saga-definition";
import { CliErrorCode, CliErrors } from "./errors.ts";
import { changedSinceBase, filesAtBase, type GitBase, readAtBase, repoPath } from "./git-base.ts";

/** The contracts of the base, and how they were obtained. */
export interface BaseContracts {
  registry: ContractRegistry;
  /** `unchanged`: same as today; `from-base`: loaded from the base; `current-fallback`: could not. */
  source: "unchanged" | "from-base" | "current-fallback";
  /** One line for the report. */
  note: string;
}

const PACKAGE_NAME = "@sagaworks/contracts";

/** The folder of today's contracts package (where its package.json is). */
function currentContractsDir(): string {
  const entry = fileURLToPath(import.meta.resolve(PACKAGE_NAME));
  return resolve(dirname(entry), "..");
}

/** Where the contracts package was at the base: today's path, or wherever its package.json was. */
function contractsPathAtBase(base: GitBase, currentPath: string): string | undefined {
  const declares = (path: string) => {
    const text = readAtBase(base, `${path}/package.json`);
    return text?.includes(`"name": "${PACKAGE_NAME}"`) === true;
  };
  if (declares(currentPath)) return currentPath;
  return filesAtBase(base, ".")
    .filter((file) => file.endsWith("contracts/package.json"))
    .map((file) => file.slice(0, -"/package.json".length))
    .find(declares);
}

/** Loads the contracts of the base (see the module comment for how). */
export async function loadBaseContracts(
  base: GitBase,
  current: ContractRegistry,
): Promise<BaseContracts> {
  const currentDir = currentContractsDir();
  const inside = relative(base.root, currentDir);
  if (inside.startsWith("..") || isAbsolute(inside)) {
    // Definitions kept in a repository of their own, checked against the installed contracts.
    return {
      registry: current,
      source: "unchanged",
      note: `contracts come from ${PACKAGE_NAME} as installed (not part of this repository)`,
    };
  }
  const currentPath = repoPath(base, currentDir);
  const basePath = contractsPathAtBase(base, currentPath);
  if (basePath === undefined) {
    return {
      registry: current,
      source: "current-fallback",
      note: `${PACKAGE_NAME} is not in ${base.ref}; its definitions were compiled with today's contracts`,
    };
  }
  if (!changedSinceBase(base, [...new Set([basePath, currentPath])])) {
    return {
      registry: current,
      source: "unchanged",
      note: `contracts unchanged since ${base.ref}`,
    };
  }
  const temp = join(currentDir, `.saga-diff-base-${process.pid}-${Date.now()}`);
  try {
    for (const file of filesAtBase(base, `${basePath}/src`)) {
      const text = readAtBase(base, file);
      if (text === undefined || file.endsWith(".test.ts")) continue;
      const target = join(temp, file.slice(basePath.length + 1));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text, "utf8");
    }
    const module = (await import(pathToFileURL(join(temp, "src", "index.ts")).href)) as {
      serviceContracts?: ContractRegistry;
    };
    if (!module.serviceContracts) {
      throw CliErrors.create(
        CliErrorCode.baseContractsUnreadable,
        "its index exports no serviceContracts",
      );
    }
    return {
      registry: module.serviceContracts,
      source: "from-base",
      note: `contracts changed since ${base.ref}: the base side was compiled with the contracts of ${base.ref}`,
    };
  } catch (error) {
    return {
      registry: current,
      source: "current-fallback",
      note: `contracts changed since ${base.ref} but could not be loaded from it (${(error as Error).message}); the base side was compiled with today's contracts`,
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

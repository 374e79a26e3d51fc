import type { ChildProcess } from "node:child_process";
import { createTestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import { type ServiceProcess, startServiceProcess } from "./service-process.ts";

/**
 * Runs a service's `main` as child processes for one test file and cleans up after each test:
 * kills what is still running and drops the schemas it created. Call `cleanup()` in afterEach.
 */
export class ServiceProcessRunner {
  private readonly children: ChildProcess[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  private readonly main: string;

  /** `main`: absolute path of the service's entry file (its `src/main.ts`). */
  constructor(main: string) {
    this.main = main;
  }

  /** Starts `node <main>` with only PATH and `env`; see {@link startServiceProcess}. */
  run(env: Record<string, string>): ServiceProcess {
    const started = startServiceProcess(this.main, env);
    this.children.push(started.child);
    return started;
  }

  /**
   * A schema name for the process to open. On real Postgres (DATABASE_URL) the schema is
   * created here and dropped by `cleanup()`; embedded PGlite vanishes with the process.
   */
  async schema(testName: string): Promise<string> {
    if (!process.env.DATABASE_URL) return uniqueTestName(testName, 60).replace(/-/g, "_");
    const db = await createTestDatabase(testName, process.env);
    this.cleanups.push(() => db.drop());
    return db.schema;
  }

  /** SIGKILLs every child still running and drops the schemas made by `schema()`. */
  async cleanup(): Promise<void> {
    for (const child of this.children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(this.cleanups.splice(0).map((cleanup) => cleanup()));
  }
}

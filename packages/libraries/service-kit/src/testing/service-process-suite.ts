// The process tests every service runs, as a vitest suite: the service as operators run it,
// `node src/main.ts` configured by the environment only. Each service says only what differs.
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceProcessRunner } from "./process-runner.ts";

/** What {@link describeServiceProcess} needs to know of one service. */
export interface ServiceProcessSuite {
  /** Its process name, as in `<name> ready`; its schema variable is `<NAME>_DB_SCHEMA`. */
  service: string;
  /** Its entry file: `new URL("../src/main.ts", import.meta.url)` from its test. */
  main: URL;
  /** How it starts, for the first test's title (`seeded`, `on the embedded broker`). */
  startsAs: string;
  /** Variables the start test sets besides PORT, the schema variable and DATABASE_URL. */
  env?: Record<string, string>;
  /** The start-up log line that names the schema opened, and any other fields it must hold. */
  started: { msg: string; fields?: Record<string, unknown> };
  /** A read of something that does not exist; the running service must answer 404. */
  missingPath: string;
  /** More checks of the running service, given its address. */
  serves?(address: string): Promise<void>;
  /** Invalid values besides `PORT=eighty` and a bad schema name; the refusal names each. */
  invalid?: Record<string, string>;
}

/**
 * Declares the suite `the <service> service process`: it starts on a schema the test names, is
 * ready and serves, and exits 0 on SIGTERM with no error logged; with invalid configuration it
 * exits 1 naming every bad variable. Children and schemas are cleaned up after each test.
 */
export function describeServiceProcess(suite: ServiceProcessSuite): void {
  const runner = new ServiceProcessRunner(fileURLToPath(suite.main));
  const schemaVariable = `${suite.service.toUpperCase()}_DB_SCHEMA`;

  describe(`the ${suite.service} service process`, () => {
    afterEach(() => runner.cleanup());

    it(`starts ${suite.startsAs}, is ready, serves its API, and stops cleanly on SIGTERM`, async () => {
      // The process opens its own database; on real Postgres the test names its schema and drops
      // it afterwards, while embedded PGlite vanishes with the process.
      const schema = await runner.schema(`${suite.service} process`);
      const started = runner.run({
        PORT: "0",
        [schemaVariable]: schema,
        ...suite.env,
        ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      });
      // Opening embedded PGlite (initdb in WebAssembly) alone can take 15 s on a busy machine.
      const address = await started.ready(suite.service, 90_000);
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.lines.find((line) => line.msg === suite.started.msg)).toMatchObject({
        ...suite.started.fields,
        schema,
      });
      const readiness = await fetch(`${address}/ready`);
      expect(await readiness.json()).toEqual({ status: "ready" });
      expect((await fetch(`${address}${suite.missingPath}`)).status).toBe(404);
      await suite.serves?.(address);

      expect(await started.stop()).toBe(0);
      expect(started.lines.map((line) => line.msg)).toContain("shut down");
      expect(started.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    }, 120_000);

    it("refuses to start with every configuration problem listed", async () => {
      const invalid = { PORT: "eighty", [schemaVariable]: "Bad-Schema", ...suite.invalid };
      const { lines, exited } = runner.run(invalid);
      expect(await exited).toBe(1);
      const fatal = lines.find((line) => line.level === 60) as { err: { message: string } };
      for (const variable of Object.keys(invalid)) {
        expect(fatal.err.message).toContain(variable);
      }
    });
  });
}

/**
 * {@link describeServiceProcess} for a service run by `runParticipantService`: it starts on the
 * embedded broker (under its own queue prefix) and logs `<name> service started` with the broker.
 */
export function describeParticipantProcess(
  suite: Pick<ServiceProcessSuite, "service" | "main" | "missingPath">,
): void {
  describeServiceProcess({
    ...suite,
    startsAs: "on the embedded broker",
    env: { SAGAWORKS_ENV_PREFIX: "proc" },
    started: { msg: `${suite.service} service started`, fields: { broker: "embedded" } },
  });
}

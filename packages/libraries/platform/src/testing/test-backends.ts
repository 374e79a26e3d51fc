import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createDatabase, type Database } from "../database.ts";
import { startEmbeddedBroker } from "../embedded-broker.ts";
import { PlatformErrorCode, PlatformErrors } from "../errors.ts";

/** LocalStack is pinned: images after the 4.x community line need an auth token to start. */
export const LOCALSTACK_IMAGE = "localstack/localstack:4.4.0";

/** Which SQS/SNS endpoint a test run uses, and why. */
export type TestBrokerChoice =
  | { kind: "embedded" }
  | { kind: "endpoint"; endpoint: string }
  | { kind: "localstack"; dockerHost: string };

type Env = Record<string, string | undefined>;

/**
 * Picks the test broker from the environment. `SAGAWORKS_TEST_BROKER=localstack` asks for
 * LocalStack through testcontainers; otherwise `AWS_ENDPOINT_URL` names an endpoint; otherwise
 * the embedded emulator. An unknown value is an error, never a silent fallback.
 */
export function chooseTestBroker(env: Env): TestBrokerChoice {
  const requested = env.SAGAWORKS_TEST_BROKER ?? "";
  if (requested === "localstack") {
    return { kind: "localstack", dockerHost: env.DOCKER_HOST || "unix:///var/run/docker.sock" };
  }
  if (requested !== "" && requested !== "embedded" && requested !== "endpoint") {
    throw PlatformErrors.create(
      PlatformErrorCode.testBackendUnavailable,
      `SAGAWORKS_TEST_BROKER="${requested}" is not known: use embedded, endpoint or localstack.`,
      { requested },
    );
  }
  if (requested === "endpoint" && !env.AWS_ENDPOINT_URL) {
    throw PlatformErrors.create(
      PlatformErrorCode.testBackendUnavailable,
      "SAGAWORKS_TEST_BROKER=endpoint needs AWS_ENDPOINT_URL (for example http://127.0.0.1:4566).",
    );
  }
  if (env.AWS_ENDPOINT_URL && requested !== "embedded") {
    return { kind: "endpoint", endpoint: env.AWS_ENDPOINT_URL };
  }
  return { kind: "embedded" };
}

/** A running test broker. */
export interface TestBroker {
  kind: TestBrokerChoice["kind"];
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts (or points at) the broker {@link chooseTestBroker} picks. */
export async function startTestBroker(env: Env): Promise<TestBroker> {
  const choice = chooseTestBroker(env);
  if (choice.kind === "endpoint") {
    return { kind: "endpoint", endpoint: choice.endpoint, stop: async () => {} };
  }
  if (choice.kind === "embedded") {
    const broker = await startEmbeddedBroker();
    return { kind: "embedded", endpoint: broker.endpoint, stop: broker.stop };
  }
  await assertDockerReachable(choice.dockerHost);
  // Loaded only here: testcontainers is heavy and useless where no Docker engine runs.
  const { LocalstackContainer } = await import("@testcontainers/localstack");
  const container = await new LocalstackContainer(LOCALSTACK_IMAGE)
    .withEnvironment({ SERVICES: "sqs,sns" })
    .start();
  return {
    kind: "localstack",
    endpoint: container.getConnectionUri(),
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * Fails with a message that says why when no Docker engine answers at `dockerHost`, so asking
 * for LocalStack on a machine without Docker is an error, not a skipped or hanging run.
 */
export async function assertDockerReachable(dockerHost: string): Promise<void> {
  const unavailable = (why: string) =>
    PlatformErrors.create(
      PlatformErrorCode.testBackendUnavailable,
      `SAGAWORKS_TEST_BROKER=localstack needs a Docker engine, but ${why}. Start Docker (or set DOCKER_HOST), or unset SAGAWORKS_TEST_BROKER to run against the embedded emulator.`,
      { dockerHost },
    );
  let target: { socketPath: string } | { host: string; port: number };
  if (dockerHost.startsWith("unix://")) {
    const socketPath = dockerHost.slice("unix://".length);
    if (!existsSync(socketPath)) throw unavailable(`there is no socket at ${socketPath}`);
    target = { socketPath };
  } else if (dockerHost.startsWith("tcp://")) {
    const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    throw unavailable(`DOCKER_HOST="${dockerHost}" is neither unix:// nor tcp://`);
  }
  await new Promise<void>((resolve, reject) => {
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: 3_000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(unavailable(`the engine at ${dockerHost} answered ${res.statusCode}`));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (error) =>
      reject(unavailable(`nothing answered at ${dockerHost} (${error.message})`)),
    );
    req.end();
  });
}

/**
 * A name unique to one test, derived from its name: readable for debugging, with a hash and a
 * random part so that parallel runs and re-runs never share queues or schemas.
 */
export function uniqueTestName(testName: string, maxLength = 40): string {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  const hash = createHash("sha256").update(testName).digest("hex").slice(0, 6);
  const suffix = `${hash}-${randomBytes(3).toString("hex")}`;
  return `t-${slug.slice(0, Math.max(1, maxLength - suffix.length - 3))}-${suffix}`;
}

/** A database for one test: its own schema on real Postgres, or its own PGlite instance. */
export interface TestDatabase extends Database {
  /** Drops the schema (real Postgres) and closes the pool. */
  drop(): Promise<void>;
}

/**
 * Opens a database for one test. With `DATABASE_URL` it is a fresh schema on that server,
 * derived from the test's name; without, an in-memory embedded Postgres.
 */
export async function createTestDatabase(testName: string, env: Env): Promise<TestDatabase> {
  const schema = uniqueTestName(testName, 60).replace(/-/g, "_");
  const db = await createDatabase({
    databaseUrl: env.DATABASE_URL,
    schema,
    pool: { min: 0, max: 5 },
  });
  return {
    ...db,
    async drop() {
      if (db.kind === "postgres") await db.knex.raw("DROP SCHEMA IF EXISTS ?? CASCADE", [schema]);
      await db.close();
    },
  };
}

/**
 * Drops schemas a test made on the shared Postgres at `DATABASE_URL`, so runs leave nothing
 * behind; without one (embedded PGlite, gone with its process) there is nothing to drop.
 */
export async function dropTestSchemas(schemas: readonly string[], env: Env): Promise<void> {
  if (!env.DATABASE_URL) return;
  const admin = await createDatabase({ databaseUrl: env.DATABASE_URL, pool: { min: 0, max: 1 } });
  try {
    for (const schema of schemas)
      await admin.knex.raw("DROP SCHEMA IF EXISTS ?? CASCADE", [schema]);
  } finally {
    await admin.close();
  }
}

// What the SDK's tests against the broker and Postgres set up alike: a topology of their own under
// a unique prefix, a database of their own, and a participant on both. Each test file still tears
// them down its own way (a list of worlds, or of clean-ups).
import {
  type AwsClients,
  createAwsClients,
  type Logger,
  type Migration,
  runMigrations,
  silentLogger,
} from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import { applyTopology, deriveTopology } from "@sagaworks/topology";
import { inject } from "vitest";
import { createParticipant, type Participant, type ParticipantOptions } from "../src/index.ts";

/** One test's broker clients, topology and database, for one participant service. */
export interface TestBackend {
  clients: AwsClients;
  service: string;
  prefix: string;
  /** The applied topology's queue URLs, by queue name. */
  queueUrls: Record<string, string>;
  db: TestDatabase;
}

/**
 * A topology for `service` under a prefix unique to `testName`, and a database of its own with
 * `migrations` run when given. The caller destroys the clients and drops the database.
 */
export async function testBackend(
  testName: string,
  service: string,
  options: { maxReceiveCount?: number; migrations?: Migration[] } = {},
): Promise<TestBackend> {
  const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
  const prefix = uniqueTestName(testName, 24);
  const { maxReceiveCount } = options;
  const { queueUrls } = await applyTopology(
    clients,
    deriveTopology({
      prefix,
      participants: [service],
      ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }),
    }),
  );
  const db = await createTestDatabase(testName, process.env);
  if (options.migrations) await runMigrations(db, options.migrations);
  return { clients, service, prefix, queueUrls, db };
}

/** The backend's participant with these handlers and options; silent unless given a logger. */
export function participantOn(
  backend: TestBackend,
  options: Omit<ParticipantOptions, "service" | "prefix" | "db" | "sqs" | "logger"> & {
    logger?: Logger;
  },
): Promise<Participant> {
  return createParticipant({
    service: backend.service,
    prefix: backend.prefix,
    db: backend.db,
    sqs: backend.clients.sqs,
    logger: silentLogger(),
    ...options,
  });
}

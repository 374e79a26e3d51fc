// Error paths that carry a secret into a log line at debug level: a database that refuses, a
// malformed DATABASE_URL, errors whose message, stack, properties or cause quote a connection
// string or a bearer header, an HTTP call that fails, an SQS endpoint that is down. Each is logged
// through createLogger and the captured output must hold neither secret, yet still the error.
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { Writable } from "node:stream";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createAwsClients, createDatabase, createLogger } from "../src/index.ts";

const PASSWORD = `pw-${crypto.randomUUID()}`;
const TOKEN = `tok-${crypto.randomUUID()}`;

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ name: "secrets", level: "debug", destination });
  const leaks = () => lines.filter((line) => line.includes(PASSWORD) || line.includes(TOKEN));
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, leaks, parsed };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("log lines keep secrets out on error paths", () => {
  it("a Postgres that refuses: knex's acquire warning and the thrown error (with its cause)", async () => {
    const { logger, leaks, parsed } = capture();
    const databaseUrl = `postgres://app:${PASSWORD}@127.0.0.1:1/none`;
    const error = await rejection(createDatabase({ databaseUrl, logger }));
    logger.error({ err: error }, "database unavailable");
    expect(leaks()).toEqual([]);
    const line = parsed().find((entry) => entry.msg === "database unavailable");
    expect(JSON.stringify(line)).toContain("ECONNREFUSED");
  });

  it("a malformed DATABASE_URL: ERR_INVALID_URL keeps the whole URL as `input`", async () => {
    const { logger, leaks, parsed } = capture();
    const bad = `postgres://app:${PASSWORD}@127.0.0.1:notaport/none`;
    let error: unknown;
    try {
      new URL(bad);
    } catch (caught) {
      error = caught;
    }
    expect((error as { input?: string }).input).toBe(bad);
    logger.error({ err: error }, "configuration invalid");
    logger.error(error as Error);
    expect(leaks()).toEqual([]);
    for (const line of parsed()) {
      expect(line.err).toMatchObject({
        code: "ERR_INVALID_URL",
        input: "postgres://app:[redacted]@127.0.0.1:notaport/none",
      });
    }
  });

  it("an error whose message, stack, properties and cause quote a connection string or a bearer header", () => {
    const { logger, leaks, parsed } = capture();
    const cause = Object.assign(
      new Error(`connect to postgresql://svc:${PASSWORD}@db.internal:5432/app timed out`),
      { connectionString: `postgres://svc:${PASSWORD}@db.internal/app`, code: "ETIMEDOUT" },
    );
    const error = new Error(`request failed: Authorization: Bearer ${TOKEN}`, { cause });
    Object.assign(error, {
      request: { headers: { Authorization: `Bearer ${TOKEN}` }, url: "/sagas" },
      config: { db: { url: `postgres://svc:${PASSWORD}@db.internal/app` } },
      dsn: `host=db.internal user=svc password=${PASSWORD} dbname=app`,
    });
    logger.warn({ err: error }, "retrying");
    expect(leaks()).toEqual([]);
    const err = parsed()[0]?.err as Record<string, unknown>;
    // pino appends the causes' messages to the message: both are scrubbed.
    expect(err.message).toBe(
      "request failed: Authorization: Bearer [redacted]: connect to postgresql://svc:[redacted]@db.internal:5432/app timed out",
    );
    expect(String(err.stack)).toContain("Bearer [redacted]");
    expect((err.cause as { code: string; message: string }).code).toBe("ETIMEDOUT");
    expect((err.cause as { message: string }).message).toContain("svc:[redacted]@db.internal");
    expect(err.dsn).toBe("host=db.internal user=svc password=[redacted] dbname=app");
  });

  it("secrets deeper than the redact paths reach, under other keys, in the message and in URL objects", () => {
    const { logger, leaks, parsed } = capture();
    const child = logger.child({ component: "worker" });
    child.debug(
      {
        config: { database: { DATABASE_URL: `postgres://a:${PASSWORD}@h/x`, pool: 10 } },
        headers: [{ authorization: `Bearer ${TOKEN}` }],
        knex: `Acquire connection error: Error: could not reach postgres://a:${PASSWORD}@h/x`,
        endpoint: new URL(`https://a:${PASSWORD}@example.test/path`),
      },
      `configuration read from postgres://a:${PASSWORD}@h/x with Bearer ${TOKEN}`,
    );
    expect(leaks()).toEqual([]);
    const [line] = parsed();
    expect(line).toMatchObject({
      component: "worker",
      config: { database: { DATABASE_URL: "[redacted]", pool: 10 } },
      headers: [{ authorization: "[redacted]" }],
      endpoint: "https://a:[redacted]@example.test/path",
      msg: "configuration read from postgres://a:[redacted]@h/x with Bearer [redacted]",
    });
  });

  it("an HTTP call with a bearer header to a server that is down", async () => {
    const { logger, leaks, parsed } = capture();
    // A port that was just free: nothing listens there, so the connection is refused.
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, "close");
    const error = await rejection(
      fetch(`http://127.0.0.1:${port}/x`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    logger.error(
      { err: error, url: `http://u:${PASSWORD}@127.0.0.1:${port}/x` },
      "HTTP step call failed",
    );
    expect(leaks()).toEqual([]);
    expect(JSON.stringify(parsed()[0])).toContain("ECONNREFUSED");
  });

  it("an SQS endpoint that is down", async () => {
    const { logger, leaks, parsed } = capture();
    const clients = createAwsClients({ endpoint: "http://127.0.0.1:1" });
    try {
      const error = await rejection(
        clients.sqs.send(new GetQueueUrlCommand({ QueueName: "nowhere" })),
      );
      logger.warn(
        { err: error, databaseUrl: `postgres://a:${PASSWORD}@h/x` },
        "queues unreachable",
      );
    } finally {
      clients.destroy();
    }
    expect(leaks()).toEqual([]);
    expect(parsed()[0]).toMatchObject({ databaseUrl: "[redacted]", msg: "queues unreachable" });
  });
});

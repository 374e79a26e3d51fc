// Starts the customer app on a real socket over a per-test database (embedded PGlite, or a fresh
// schema on the Postgres at DATABASE_URL), so tests exercise HTTP exactly as sagas do.
import { silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { testServiceAuth, testWriteHeaders } from "@sagaworks/service-kit/testing";
import { createCustomerApp, prepareCustomerDatabase } from "../src/index.ts";

export interface CustomerServer {
  baseUrl: string;
  db: TestDatabase;
  /** Sends JSON (or a raw string body) and returns status, headers and the parsed body. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response fields freely and assert on each
  ): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

export async function startCustomerServer(
  testName: string,
  options: { seed?: boolean } = {},
): Promise<CustomerServer> {
  const db = await createTestDatabase(testName, process.env);
  await prepareCustomerDatabase(db, { seed: options.seed ?? false });
  const app = await createCustomerApp({ db, logger: silentLogger(), auth: testServiceAuth });
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    baseUrl,
    db,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...testWriteHeaders, ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        init.headers = { "content-type": "application/json", ...testWriteHeaders, ...headers };
      }
      const response = await fetch(`${baseUrl}${path}`, init);
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

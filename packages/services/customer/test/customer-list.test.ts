import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CustomerServer, startCustomerServer } from "./customer-server.ts";

let server: CustomerServer;
// Ids chosen so that byte order differs from a case-insensitive locale order ("B" < "a").
const ids = ["c-01", "c-02", "C-03", "c-04", "c-05", "c-06", "c-07"];
const suspended = new Set(["c-02", "c-05", "c-06"]);

beforeAll(async () => {
  server = await startCustomerServer("customer list");
  for (const id of [...ids].reverse()) {
    const response = await server.call("POST", "/customers", {
      id,
      name: id,
      email: `${id}@example.com`,
      creditLimitCents: 100,
      status: suspended.has(id) ? "SUSPENDED" : "ACTIVE",
    });
    expect(response.status).toBe(201);
  }
});
afterAll(async () => {
  await server?.close();
});

/** Follows nextCursor to the end and returns each page's ids. */
async function pages(query: string): Promise<string[][]> {
  const result: string[][] = [];
  let cursor: string | null = null;
  do {
    const separator = query ? "&" : "";
    const path: string = `/customers?${query}${cursor ? `${separator}cursor=${cursor}` : ""}`;
    const response = await server.call("GET", path);
    expect(response.status).toBe(200);
    result.push(response.body.items.map((item: { id: string }) => item.id));
    cursor = response.body.nextCursor;
  } while (cursor && result.length < 20);
  return result;
}

describe("GET /customers", () => {
  it("lists everyone in id byte order with the default limit", async () => {
    const response = await server.call("GET", "/customers");
    expect(response.body.nextCursor).toBeNull();
    expect(response.body.items.map((item: { id: string }) => item.id)).toEqual(
      [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    expect(Object.keys(response.body.items[0]).sort()).toEqual([
      "creditLimitCents",
      "email",
      "id",
      "name",
      "status",
    ]);
  });

  it("pages by cursor without gaps or repeats; the last page has no cursor", async () => {
    const result = await pages("limit=3");
    expect(result).toEqual([["C-03", "c-01", "c-02"], ["c-04", "c-05", "c-06"], ["c-07"]]);
  });

  it("ends without an empty page when the last page is full", async () => {
    const result = await pages("limit=7");
    expect(result).toEqual([["C-03", "c-01", "c-02", "c-04", "c-05", "c-06", "c-07"]]);
  });

  it("filters by status across pages", async () => {
    expect(await pages("status=SUSPENDED&limit=2")).toEqual([["c-02", "c-05"], ["c-06"]]);
    expect((await pages("status=ACTIVE&limit=200")).flat()).toEqual([
      "C-03",
      "c-01",
      "c-04",
      "c-07",
    ]);
  });
});

// Pending work keyed by step: stored snapshots of the earlier shape (one `pending` object or
// null) are rewritten by the migration, and a row an earlier replica writes after it is still
// read in the current shape.
import { runMigrations } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orchestratorMigrations } from "../src/index.ts";
import { getInstance } from "../src/store/instances.ts";
import { sagaStatesOf } from "../src/store/saga-states.ts";

const work = (step: string) => ({
  step,
  compensation: false,
  attempt: 2,
  attemptBase: 0,
  waitingFor: "reply",
  timerId: `t-${step}`,
  idempotencyKey: `k:${step}`,
});

const ids = {
  waiting: "00000000-0000-4000-8000-000000000001",
  finished: "00000000-0000-4000-8000-000000000002",
  // A current map whose one step is named like a field of the old object.
  oddName: "00000000-0000-4000-8000-000000000003",
  lateWriter: "00000000-0000-4000-8000-000000000004",
};

function row(id: string, pending: unknown) {
  const now = new Date("2026-12-01T00:00:00.000Z");
  const snapshot = {
    sagaId: id,
    sagaName: "create-order",
    sagaVersion: 1,
    sagaHash: "sha256:x",
    status: pending ? "running" : "completed",
    state: "step:reserve-credit",
    input: {},
    steps: {},
    pending,
    failure: null,
    pivotPassed: false,
    deadlineAt: null,
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    seq: 3,
  };
  return {
    id,
    saga_name: "create-order",
    saga_version: 1,
    saga_hash: "sha256:x",
    status: snapshot.status,
    state: snapshot.state,
    snapshot: JSON.stringify(snapshot),
    revision: 1,
    idempotency_key: null,
    trace_id: "0".repeat(32),
    created_at: now,
    updated_at: now,
  };
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("pending by step", process.env);
  // The schema as the earlier release left it, with its rows.
  const before = orchestratorMigrations.filter((m) => m.name !== "0003-pending-by-step");
  await runMigrations(db, before);
  await db
    .knex("saga_definitions")
    .insert({ name: "create-order", version: 1, hash: "sha256:x", compiled: "{}" });
  await db
    .knex("saga_instances")
    .insert([
      row(ids.waiting, work("reserve-credit")),
      row(ids.finished, null),
      row(ids.oddName, { waitingFor: work("waitingFor") }),
    ]);
  await runMigrations(db, orchestratorMigrations);
}, 60_000);
afterAll(async () => {
  await db.drop();
});

describe("pending work keyed by step", () => {
  it("the migration turns the one pending object into a map of its step, and null into an empty map", async () => {
    const stored = async (id: string) =>
      (
        (await db.knex("saga_instances").where({ id }).first("snapshot")) as {
          snapshot: unknown;
        }
      ).snapshot;
    const parse = (value: unknown) =>
      (typeof value === "string" ? JSON.parse(value) : value) as { pending: unknown };
    expect(parse(await stored(ids.waiting)).pending).toEqual({
      "reserve-credit": work("reserve-credit"),
    });
    expect(parse(await stored(ids.finished)).pending).toEqual({});
    expect(parse(await stored(ids.oddName)).pending).toEqual({ waitingFor: work("waitingFor") });
  });

  it("reads a row an earlier replica writes after the migration in the current shape", async () => {
    await db.knex("saga_instances").insert(row(ids.lateWriter, work("approve-order")));
    const instance = await getInstance(db.knex, ids.lateWriter);
    expect(instance?.snapshot.pending).toEqual({ "approve-order": work("approve-order") });
    const states = await sagaStatesOf(db.knex, [ids.lateWriter, ids.finished]);
    expect(states.get(ids.lateWriter)?.pending).toEqual({
      "approve-order": work("approve-order"),
    });
    expect(states.get(ids.finished)?.pending).toEqual({});
  });
});

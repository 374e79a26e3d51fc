import { randomUUID } from "node:crypto";
import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import {
  CHAIN_FORWARD_MAX_BYTES,
  type ChainLink,
  type CommandKeys,
  createCommandEnvelope,
  DEV_COMMAND_KEY,
  DeadLetterAttribute,
  devReplyKey,
  type Envelope,
  envelopeMessage,
  type ReplyEnvelope,
  sendToQueue,
  signEnvelope,
  verifyEnvelopeSignature,
} from "@sagaworks/messaging";
import type { AwsClients, Logger, Migration } from "@sagaworks/platform";
import type { TestDatabase } from "@sagaworks/platform/testing";
import { commandQueueName, deadLetterQueueName, replyQueueName } from "@sagaworks/topology";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  defineHandler,
  failed,
  type Participant,
  PoisonError,
  RetryLaterError,
} from "../src/index.ts";
import { commandEnvelope, ReplyCollector, receiveMessages, waitFor } from "../src/testing/index.ts";
import { participantOn, testBackend } from "./fixtures.ts";

// A toy service: widgets made by MakeWidget and scrapped by its compensation, ScrapWidget.
const widgetMigrations: Migration[] = [
  {
    name: "0001-create-widgets",
    up: (knex) =>
      knex.schema.createTable("widgets", (table) => {
        table.text("id").primary();
        table.integer("size").notNullable();
      }),
  },
];

interface World {
  clients: AwsClients;
  db: TestDatabase;
  participant: Participant;
  replies: ReplyCollector;
  commandsUrl: string;
  dlqUrl: string;
  replyQueue: string;
  busyAttempts: number;
  slowHandlerStarted: boolean;
  jammedRuns: number;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    await world.participant.stop();
    await world.replies.stop();
    await world.db.drop();
    world.clients.destroy();
  }
});

async function world(
  testName: string,
  options: {
    maxReceiveCount?: number;
    slowMs?: number;
    commandKeys?: CommandKeys;
    logger?: Logger;
  } = {},
): Promise<World> {
  const backend = await testBackend(testName, "widgets", {
    maxReceiveCount: options.maxReceiveCount ?? 5,
    migrations: widgetMigrations,
  });
  const { clients, prefix, db, queueUrls } = backend;
  const state = { busyAttempts: 0, slowHandlerStarted: false, jammedRuns: 0 };
  const participant = await participantOn(backend, {
    ...(options.logger ? { logger: options.logger } : {}),
    waitTimeSeconds: 1,
    ...(options.commandKeys ? { commandKeys: options.commandKeys } : {}),
    handlers: {
      MakeWidget: defineHandler(
        z.object({ widgetId: z.string().min(1), size: z.int().min(1) }),
        async ({ trx, payload }) => {
          if (payload.widgetId === "forbidden")
            throw new PoisonError("forbidden widgets can never be made");
          if (payload.widgetId === "busy" && state.busyAttempts++ === 0)
            throw new RetryLaterError("the press is busy", 0);
          // Jammed on its first run: a retriable failure the orchestrator retries.
          if (payload.widgetId === "jammed" && state.jammedRuns++ === 0)
            return failed("PRESS_JAMMED", "the press jammed; try again");
          if (payload.widgetId === "slow") {
            state.slowHandlerStarted = true;
            await new Promise((resolve) => setTimeout(resolve, options.slowMs ?? 0));
          }
          if (payload.size > 100)
            return { name: "WidgetTooBig", payload: { widgetId: payload.widgetId, maxSize: 100 } };
          await trx("widgets").insert({ id: payload.widgetId, size: payload.size });
          return { name: "WidgetMade", payload: { widgetId: payload.widgetId } };
        },
      ),
      ScrapWidget: defineHandler(
        z.object({ widgetId: z.string() }),
        async ({ trx, payload, actionApplied }) => {
          const deleted = actionApplied
            ? await trx("widgets").where({ id: payload.widgetId }).delete()
            : 0;
          return {
            name: "WidgetScrapped",
            payload: { widgetId: payload.widgetId, existed: deleted > 0 },
          };
        },
      ),
    },
  });
  participant.start();
  const replyQueue = replyQueueName(prefix);
  const replies = new ReplyCollector(clients.sqs, queueUrls[replyQueue] ?? "");
  const commandsUrl = queueUrls[commandQueueName(prefix, "widgets")] ?? "";
  const w: World = {
    clients,
    db,
    participant,
    replies,
    commandsUrl,
    dlqUrl: queueUrls[deadLetterQueueName(commandQueueName(prefix, "widgets"))] ?? "",
    replyQueue,
    get busyAttempts() {
      return state.busyAttempts;
    },
    get slowHandlerStarted() {
      return state.slowHandlerStarted;
    },
    get jammedRuns() {
      return state.jammedRuns;
    },
  };
  worlds.push(w);
  return w;
}

async function send(w: World, ...commands: Envelope[]) {
  await sendToQueue(
    w.clients.sqs,
    w.commandsUrl,
    commands.map((c) => envelopeMessage(c)),
  );
}

type EnvelopeFields = Partial<Parameters<typeof commandEnvelope>[0]>;

/** A MakeWidget command to the world's widgets service, answered on its reply queue. */
const makeWidget = (w: World, payload: Record<string, unknown>, fields: EnvelopeFields = {}) =>
  commandEnvelope({ name: "MakeWidget", payload, replyTo: w.replyQueue, ...fields });

/** A ScrapWidget command (MakeWidget's compensation), answered on the world's reply queue. */
const scrapWidget = (w: World, payload: Record<string, unknown>, fields: EnvelopeFields = {}) =>
  commandEnvelope({ name: "ScrapWidget", payload, replyTo: w.replyQueue, ...fields });

const widgets = (w: World) => w.db.knex("widgets").select("id", "size").orderBy("id");

/** A command carrying `chain`, built and signed as the orchestrator does. */
function chained(command: ReturnType<typeof makeWidget>, chain: ChainLink[]) {
  const { signature: _old, ...unsigned } = command;
  return signEnvelope(
    { ...unsigned, compensation: false as const, chain },
    {
      current: DEV_COMMAND_KEY,
    },
  );
}

/** ScrapWidget as the chain's next link: the widget named by the first step's reply. */
const scrapAfterMake = (): ChainLink => ({
  step: "scrap",
  service: "widgets",
  command: "ScrapWidget",
  idempotencyKey: `${randomUUID()}:scrap`,
  messageId: randomUUID(),
  after: ["WidgetMade"],
  payload: {},
  holes: [{ at: ["widgetId"], step: "make", path: ["widgetId"] }],
});

describe("chained commands", () => {
  it("sends the next link's command itself on a success, and its reply carries the first answer", async () => {
    const w = await world("chain forwards");
    const link = scrapAfterMake();
    const first = chained(makeWidget(w, { widgetId: "w-chain", size: 2 }, { step: "make" }), [
      link,
    ]);
    await send(w, first);
    // No reply to the first command: the next link answers, with the first answer carried.
    const last = await w.replies.spy.waitForItem((reply) => reply.causationId === link.messageId);
    expect(last).toMatchObject({
      name: "WidgetScrapped",
      step: "scrap",
      attempt: 1,
      // The hole was filled from the first reply: the widget made is the one scrapped.
      payload: { widgetId: "w-chain", existed: true },
    });
    expect(last.carried).toHaveLength(1);
    const [made] = last.carried ?? [];
    expect(made).toMatchObject({ name: "WidgetMade", step: "make", causationId: first.messageId });
    // Each answer is signed by its own participant, over what it said itself.
    expect(
      verifyEnvelopeSignature(made as ReplyEnvelope, { current: devReplyKey("widgets") }),
    ).toBeUndefined();
    expect(verifyEnvelopeSignature(last, { current: devReplyKey("widgets") })).toBeUndefined();
    expect(w.replies.forSaga(first.sagaId)).toHaveLength(1);
    expect(await widgets(w)).toEqual([]);

    // A duplicate of the first command sends the same next command: applied once, answered again.
    await send(w, first);
    await w.replies.spy.waitForItem(
      (reply) => reply.causationId === link.messageId && reply !== last,
      { description: "the chain's answer again" },
    );
    expect(w.participant.stats.handled).toBe(2);
    expect(await widgets(w)).toEqual([]);
  });

  it("answers the orchestrator at once when the reply is not one the next link waits for", async () => {
    const w = await world("chain stops");
    const first = chained(makeWidget(w, { widgetId: "w-big", size: 500 }, { step: "make" }), [
      scrapAfterMake(),
    ]);
    await send(w, first);
    const reply = await w.replies.replyTo(first);
    expect(reply).toMatchObject({ name: "WidgetTooBig", step: "make" });
    expect(reply.carried).toBeUndefined();
  });

  it("answers the orchestrator instead when the next command would be too large to forward", async () => {
    const w = await world("chain too large");
    // The next link's own payload is past the bound; the first command, under SQS's limit, is not.
    const link = { ...scrapAfterMake(), payload: { note: "n".repeat(CHAIN_FORWARD_MAX_BYTES) } };
    const first = chained(makeWidget(w, { widgetId: "w-heavy", size: 2 }, { step: "make" }), [
      link,
    ]);
    await send(w, first);
    // The first step's plain answer goes back (the orchestrator then sends ScrapWidget itself).
    const reply = await w.replies.replyTo(first);
    expect(reply).toMatchObject({ name: "WidgetMade", step: "make" });
    expect(reply.carried).toBeUndefined();
    expect(await widgets(w)).toEqual([{ id: "w-heavy", size: 2 }]);
    expect(w.participant.stats.handled).toBe(1);
  });
});

describe("participant SDK", () => {
  it("applies a duplicate command once and answers both copies with the stored reply", async () => {
    const w = await world("duplicate");
    const first = makeWidget(w, { widgetId: "w1", size: 3 }, { step: "make" });
    // The orchestrator's retry of the same step: same idempotency key, next attempt.
    const retry = commandEnvelope({
      ...first,
      name: "MakeWidget",
      payload: first.payload,
      replyTo: w.replyQueue,
      step: "make",
      sagaId: first.sagaId,
      attempt: 2,
    });
    await send(w, first);
    await w.replies.replyTo(first);
    await send(w, retry, first);
    const again = await w.replies.replyTo(retry);
    expect(again).toMatchObject({
      name: "WidgetMade",
      attempt: 2,
      step: "make",
      sagaId: first.sagaId,
    });
    await waitFor(() => w.participant.stats.duplicates === 2);
    expect(await widgets(w)).toEqual([{ id: "w1", size: 3 }]);
    expect(w.participant.stats.handled).toBe(1);
  });

  it("runs the handler again on the next attempt after a failed() reply; a duplicate of the failed attempt gets it again", async () => {
    const w = await world("failed then retried");
    const first = makeWidget(w, { widgetId: "jammed", size: 2 }, { step: "make" });
    await send(w, first);
    expect(await w.replies.replyTo(first)).toMatchObject({
      name: "CommandFailed",
      payload: { code: "PRESS_JAMMED" },
    });
    // A redelivery of the same attempt: the stored failure, no second run.
    const handled = w.participant.stats.handled;
    await w.participant.handle({
      body: first,
      sqsMessageId: "again",
      receiveCount: 2,
      attributes: {},
    });
    expect(w.jammedRuns).toBe(1);
    expect(w.participant.stats.handled).toBe(handled);
    // The orchestrator's next attempt (a retry, or an operator's): the handler runs again.
    const second = makeWidget(w, first.payload, { step: "make", sagaId: first.sagaId, attempt: 2 });
    await send(w, second);
    expect(await w.replies.replyTo(second)).toMatchObject({ name: "WidgetMade", attempt: 2 });
    expect(w.jammedRuns).toBe(2);
    expect(await widgets(w)).toEqual([{ id: "jammed", size: 2 }]);
  });

  it("answers a business failure with its reply and changes nothing", async () => {
    const w = await world("business failure");
    const command = makeWidget(w, { widgetId: "big", size: 500 });
    await send(w, command);
    expect(await w.replies.replyTo(command)).toMatchObject({
      name: "WidgetTooBig",
      payload: { maxSize: 100 },
    });
    expect(await widgets(w)).toEqual([]);
  });

  it("sends a command with an invalid payload, or one a handler declares poison, to the DLQ", async () => {
    const w = await world("poison", { maxReceiveCount: 1 });
    const invalid = makeWidget(w, { widgetId: "", size: "three" });
    const unknown = commandEnvelope({ name: "PaintWidget", payload: {}, replyTo: w.replyQueue });
    const forbidden = makeWidget(w, { widgetId: "forbidden", size: 1 });
    await send(w, invalid, unknown, forbidden);
    const dead = await receiveMessages(w.clients.sqs, w.dlqUrl, 3, { timeoutMs: 20_000 });
    expect(dead.map((m) => (JSON.parse(m.Body ?? "{}") as Envelope).messageId).sort()).toEqual(
      [invalid.messageId, unknown.messageId, forbidden.messageId].sort(),
    );
    expect(w.replies.spy.items).toEqual([]);
    // The worker is still up.
    const good = makeWidget(w, { widgetId: "ok", size: 1 });
    await send(w, good);
    await w.replies.replyTo(good);
  });

  it("dead-letters an unsigned, forged or altered command with its reason, with no effect", async () => {
    const lines: { msg: string; messageId?: string }[] = [];
    const logger = pino(
      { level: "warn" },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const oldKey = "old-command-key-0123456789-0123456789";
    const newKey = "new-command-key-0123456789-0123456789";
    const w = await world("forged commands", {
      maxReceiveCount: 1,
      commandKeys: { current: newKey, previous: [oldKey] },
      logger,
    });
    const make = (widgetId: string, keys: CommandKeys | null) =>
      makeWidget(w, { widgetId, size: 1 }, { keys });
    const unsigned = make("unsigned", null);
    const forged = make("forged", { current: "attacker-key-0123456789-0123456789" });
    // Signed by the orchestrator, then changed on the way: the signature covers the payload.
    const altered = {
      ...make("altered", { current: newKey }),
      payload: { widgetId: "x", size: 99 },
    };
    const rotatedOut = make("rotated-out", { current: "retired-key-0123456789-0123456789" });
    await send(w, unsigned, forged, altered, rotatedOut);
    const dead = await receiveMessages(w.clients.sqs, w.dlqUrl, 4, { timeoutMs: 20_000 });
    expect(dead.map((m) => (JSON.parse(m.Body ?? "{}") as Envelope).messageId).sort()).toEqual(
      [unsigned.messageId, forged.messageId, altered.messageId, rotatedOut.messageId].sort(),
    );
    const reasons = new Map(lines.map((line) => [line.messageId, line.msg]));
    expect(reasons.get(unsigned.messageId)).toBe("command refused: the command is not signed");
    for (const { messageId } of [forged, altered, rotatedOut]) {
      expect(reasons.get(messageId)).toBe(
        "command refused: the signature does not match: forged, altered, or an unknown key",
      );
    }
    // Nothing happened: no widget, no inbox row, no reply.
    expect(await widgets(w)).toEqual([]);
    expect(Number((await w.db.knex("participant_inbox").count({ n: "*" }).first())?.n)).toBe(0);
    expect(w.replies.spy.items).toEqual([]);
    expect(w.participant.stats.refusedUnsigned).toBe(4);

    // Both the current key and a previous one (a rotation under way) are accepted.
    const current = make("current", { current: newKey });
    const previous = make("previous", { current: oldKey });
    await send(w, current, previous);
    await w.replies.replyTo(current);
    await w.replies.replyTo(previous);
    expect(await widgets(w)).toEqual([
      { id: "current", size: 1 },
      { id: "previous", size: 1 },
    ]);
  });

  it("dead-letters a validly signed command sent 22 days ago, or dated past the clock skew, with no effect", async () => {
    const w = await world("stale commands", { maxReceiveCount: 1 });
    const DAY_MS = 24 * 60 * 60 * 1000;
    const make = (widgetId: string, sentAt: Date) =>
      makeWidget(w, { widgetId, size: 1 }, { sentAt: sentAt.toISOString() });
    // Captured from a queue or a DLQ export and sent again after the inbox forgot it.
    const replayed = make("replayed", new Date(Date.now() - 22 * DAY_MS));
    const ahead = make("from-the-future", new Date(Date.now() + 60 * 60 * 1000));
    await send(w, replayed, ahead);
    const dead = await receiveMessages(w.clients.sqs, w.dlqUrl, 2, {
      timeoutMs: 20_000,
    });
    const reasons = new Map(
      dead.map((m) => [
        (JSON.parse(m.Body ?? "{}") as Envelope).messageId,
        m.MessageAttributes?.[DeadLetterAttribute.reason]?.StringValue,
      ]),
    );
    expect(reasons.get(replayed.messageId)).toMatch(
      /^MakeWidget refused: it was signed 22 days ago .*longer than any redelivery or replay allows \(19 days\)/,
    );
    expect(reasons.get(ahead.messageId)).toMatch(
      /^MakeWidget refused: it is dated 60 min in the future .*more than the 5 min of clock skew allowed/,
    );
    expect(await widgets(w)).toEqual([]);
    expect(Number((await w.db.knex("participant_inbox").count({ n: "*" }).first())?.n)).toBe(0);
    expect(w.replies.spy.items).toEqual([]);
    expect(w.participant.stats.refusedStale).toBe(2);

    // A command within the window (18 days old: the longest a genuine one can take) is run.
    const late = make("late", new Date(Date.now() - 18 * DAY_MS));
    await send(w, late);
    const reply = await w.replies.replyTo(late);
    expect(await widgets(w)).toEqual([{ id: "late", size: 1 }]);
    // Its reply is signed with this participant's own (here its development) reply key.
    expect(verifyEnvelopeSignature(reply, { current: devReplyKey("widgets") })).toBeUndefined();
    expect(verifyEnvelopeSignature(reply, { current: devReplyKey("order") })).toMatch(
      /does not match/,
    );
  });

  it("replies only to the configured reply queue, never to an address the command names", async () => {
    const w = await world("reply address");
    const elsewhere = `${w.replyQueue}-elsewhere`;
    const created = await w.clients.sqs.send(new CreateQueueCommand({ QueueName: elsewhere }));
    // Even a correctly signed command (the signature covers replyTo) cannot choose the address.
    const command = commandEnvelope({
      name: "MakeWidget",
      payload: { widgetId: "routed", size: 1 },
      replyTo: elsewhere,
    });
    await send(w, command);
    expect(await w.replies.replyTo(command)).toMatchObject({ name: "WidgetMade" });
    const stray = await w.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: created.QueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(stray.Messages ?? []).toEqual([]);
    expect(w.replies.forSaga(command.sagaId)).toHaveLength(1);
  });

  it("redelivers a command whose handler asked to retry later, and applies it once", async () => {
    const w = await world("retry later");
    const command = makeWidget(w, { widgetId: "busy", size: 2 });
    await send(w, command);
    expect(await w.replies.replyTo(command)).toMatchObject({ name: "WidgetMade" });
    expect(w.busyAttempts).toBe(2);
    expect(await widgets(w)).toEqual([{ id: "busy", size: 2 }]);
  });

  it("refuses an action that arrives after its compensation (the guard)", async () => {
    const w = await world("guard");
    const action = makeWidget(w, { widgetId: "late", size: 4 }, { step: "make" });
    const compensation = scrapWidget(
      w,
      { widgetId: "late" },
      { step: "make", sagaId: action.sagaId, compensation: true },
    );
    await send(w, compensation);
    expect(await w.replies.replyTo(compensation)).toMatchObject({
      name: "WidgetScrapped",
      payload: { existed: false },
    });
    await send(w, action);
    await waitFor(() => w.participant.stats.refusedByGuard === 1);
    expect(await widgets(w)).toEqual([]);
    expect(w.replies.forSaga(action.sagaId).map((r) => r.name)).toEqual(["WidgetScrapped"]);
  });

  it("guards the action a compensation names by its actionKey, whatever the keys look like", async () => {
    const w = await world("guard by action key");
    const common = {
      sagaId: crypto.randomUUID(),
      sagaName: "test-saga",
      sagaVersion: 1,
      step: "make",
      attempt: 1,
      replyTo: w.replyQueue,
    };
    const signed = (input: Parameters<typeof createCommandEnvelope>[0]) =>
      signEnvelope(createCommandEnvelope(input), { current: DEV_COMMAND_KEY });
    // Keys that follow no suffix convention: only the explicit actionKey ties the two together.
    const action = signed({
      ...common,
      name: "MakeWidget",
      compensation: false,
      idempotencyKey: "order-77/make-widget",
      payload: { widgetId: "keyed", size: 4 },
    });
    const compensation = signed({
      ...common,
      name: "ScrapWidget",
      compensation: true,
      idempotencyKey: "undo/order-77",
      actionKey: "order-77/make-widget",
      payload: { widgetId: "keyed" },
    });
    await send(w, compensation);
    expect(await w.replies.replyTo(compensation)).toMatchObject({ payload: { existed: false } });
    await send(w, action);
    await waitFor(() => w.participant.stats.refusedByGuard === 1);
    expect(await widgets(w)).toEqual([]);
  });

  it("compensates an action that did run", async () => {
    const w = await world("compensate");
    const action = makeWidget(w, { widgetId: "w2", size: 4 }, { step: "make" });
    await send(w, action);
    await w.replies.replyTo(action);
    const compensation = scrapWidget(
      w,
      { widgetId: "w2" },
      { step: "make", sagaId: action.sagaId, compensation: true },
    );
    await send(w, compensation);
    expect(await w.replies.replyTo(compensation)).toMatchObject({ payload: { existed: true } });
    expect(await widgets(w)).toEqual([]);
  });

  it("finishes a command in flight when stopped, and still sends its reply", async () => {
    const w = await world("graceful stop", { slowMs: 1_500 });
    const command = makeWidget(w, { widgetId: "slow", size: 1 });
    await send(w, command);
    await waitFor(() => w.slowHandlerStarted, { description: "the slow handler to start" });
    await w.participant.stop();
    expect(await widgets(w)).toEqual([{ id: "slow", size: 1 }]);
    expect(await w.replies.replyTo(command)).toMatchObject({ name: "WidgetMade" });
    expect(await w.db.knex("participant_outbox").count({ n: "*" })).toEqual([
      { n: expect.anything() },
    ]);
    expect(Number((await w.db.knex("participant_outbox").count({ n: "*" }))[0]?.n)).toBe(0);
  });
});

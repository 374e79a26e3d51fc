import { DeleteQueueCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { silentLogger } from "@sagaworks/platform";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineHandler } from "../src/index.ts";
import { commandEnvelope } from "../src/testing/index.ts";
import { participantOn, testBackend } from "./fixtures.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a command whose reply queue does not exist", () => {
  it("is not run, and says so at warn level with the saga, step and message ids", async () => {
    const backend = await testBackend("reply queue missing", "widgets");
    const { clients, prefix } = backend;
    cleanups.push(async () => clients.destroy());
    cleanups.push(() => backend.db.drop());
    // The configured reply queue goes away (replies never go to an address from the message).
    const replies = await clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: `${prefix}-saga-replies` }),
    );
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: replies.QueueUrl }));
    const logger = silentLogger();
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    logger.warn = ((fields: Record<string, unknown>, message: string) => {
      warnings.push({ fields, message });
    }) as typeof logger.warn;
    let runs = 0;
    const participant = await participantOn(backend, {
      logger,
      maxReceiveCount: 3,
      handlers: {
        MakeWidget: defineHandler(z.object({}), async () => {
          runs++;
          return { name: "WidgetMade", payload: {} };
        }),
      },
    });
    cleanups.push(() => participant.stop());
    const command = commandEnvelope({
      name: "MakeWidget",
      payload: {},
      replyTo: `${prefix}-saga-replies`,
    });

    const result = await participant.handle({
      body: command,
      sqsMessageId: "m",
      receiveCount: 3,
      attributes: {},
    });
    expect(result.type).toBe("retry-later");
    expect(runs).toBe(0);
    expect(warnings).toEqual([
      {
        message: "reply queue not reachable: the command is not run and will be retried",
        fields: expect.objectContaining({
          sagaId: command.sagaId,
          step: command.step,
          messageId: command.messageId,
          replyQueue: `${prefix}-saga-replies`,
          lastDeliveryBeforeDlq: true,
        }),
      },
    ]);
  });
});

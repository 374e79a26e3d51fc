// The stack's SQS/SNS emulator as its own process (fauxqs), so that every service of the stack
// talks to the same broker over HTTP, as they would to LocalStack or AWS.
//
//   EMULATOR_PORT=3100 node packages/tools/system/src/emulator-main.ts
import { createLogger, loadConfig, startEmbeddedBroker } from "@sagaworks/platform";
import { z } from "zod";

const config = loadConfig(
  z.object({
    /** Port of the emulator on 127.0.0.1; defaults to 3100. */
    EMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
  }),
);
const logger = createLogger({ name: "emulator" });
const broker = await startEmbeddedBroker({ port: config.EMULATOR_PORT });
logger.info({ address: broker.endpoint }, "emulator ready");
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void broker.stop().then(() => process.exit(0));
  });
}

// The order service process: `pnpm --filter @sagaworks/order-service start`.
import { runService } from "@sagaworks/service-kit";
import { orderConfigSchema } from "./config.ts";
import { startOrderProcess } from "./order-process.ts";

await runService({
  name: "order",
  configSchema: orderConfigSchema,
  listenOn: (config) => ({ port: config.PORT, host: config.HOST }),
  start: startOrderProcess,
});

// The customer service process: `pnpm --filter @sagaworks/customer-service start`.
import { runService } from "@sagaworks/service-kit";
import { customerConfigSchema } from "./config.ts";
import { startCustomerService } from "./customer-service.ts";

await runService({
  name: "customer",
  configSchema: customerConfigSchema,
  listenOn: (config) => ({ port: config.PORT, host: config.HOST }),
  start: startCustomerService,
});

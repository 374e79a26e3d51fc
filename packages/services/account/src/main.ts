// The account service process: `pnpm --filter @sagaworks/account-service start`.
import { runService } from "@sagaworks/service-kit";
import { startAccountProcess } from "./account-process.ts";
import { accountConfigSchema } from "./config.ts";

await runService({
  name: "account",
  configSchema: accountConfigSchema,
  listenOn: (config) => ({ port: config.PORT, host: config.HOST }),
  start: startAccountProcess,
});

// The account service process: `pnpm --filter @sagaworks/account-service start`.
import { runService } from "@sagaworks/service-kit";
import { startAccountProcess } from "./account-process.ts";
import { accountConfigSchema } from "./config.ts";

await runService({
  name: "account",
  configSchema: accountConfigSchema,
  start: startAccountProcess,
});

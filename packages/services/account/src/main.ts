// The account service process: `pnpm --filter @sagaworks/account-service start`.
import { runParticipantService } from "@sagaworks/service-kit/participant";
import { accountProcessDefinition } from "./account-service.ts";

await runParticipantService(accountProcessDefinition);

// The order service process: `pnpm --filter @sagaworks/order-service start`.
import { runParticipantService } from "@sagaworks/service-kit/participant";
import { orderProcessDefinition } from "./order-service.ts";

await runParticipantService(orderProcessDefinition);

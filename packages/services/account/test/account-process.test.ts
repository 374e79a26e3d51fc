// The service as operators run it: `node src/main.ts`, configured by the environment only.
import { describeParticipantProcess } from "@sagaworks/service-kit/testing";

describeParticipantProcess({
  service: "account",
  main: new URL("../src/main.ts", import.meta.url),
  missingPath: "/accounts/none",
});

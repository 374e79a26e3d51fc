export {
  checkContractReply,
  type HttpAnswer,
  type ParticipantWorld,
  type ParticipantWorldOptions,
  type ParticipantWorldService,
  participantWorldStarter,
  type ReplyContract,
  startParticipantWorld,
} from "./participant-world.ts";
export { ServiceProcessRunner } from "./process-runner.ts";
export { type AuthProbe, probeRouteAuth } from "./route-auth.ts";
export { describeRouteAuth, type RouteAuthSuite } from "./route-auth-suite.ts";
export { testServiceAuth, testWriteHeaders } from "./service-auth.ts";
export { type ServiceProcess, startServiceProcess } from "./service-process.ts";
export {
  describeParticipantProcess,
  describeServiceProcess,
  type ServiceProcessSuite,
} from "./service-process-suite.ts";

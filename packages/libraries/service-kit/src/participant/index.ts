// The runtime of services that take saga commands. A subpath of its own, so HTTP-only users of
// the kit (the customer service, the orchestrator) never load the participant SDK.
export {
  type ParticipantAppDeps,
  type ParticipantProcessConfig,
  type ParticipantProcessDefinition,
  type ParticipantService,
  type ParticipantServiceDefinition,
  type ParticipantServiceDeps,
  participantConfigShape,
  type ResolvedParticipantServiceDeps,
  resolveParticipantServiceDeps,
  runParticipantService,
  startParticipantProcess,
  startParticipantService,
} from "./participant-service.ts";

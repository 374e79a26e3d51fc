export { REVISION_GUARD_ENV, revisionGuardRequested } from "./revision-guard.ts";
export {
  type Answer,
  orderInput,
  shopAnswers,
  startCustomerServer,
  startParticipant,
} from "./shop-participants.ts";

export {
  type Answer,
  orderInput,
  shopAnswers,
  startCustomerServer,
  startParticipant,
} from "./shop-participants.ts";

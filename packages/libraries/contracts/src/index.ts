export {
  accountService,
  creditLimitExceeded,
  creditReleased,
  creditReservationNotFound,
  creditReserved,
  releaseCreditPayload,
  reserveCreditPayload,
} from "./account.ts";
export { amountCents, entityId, reason } from "./common.ts";
export {
  customer,
  customerError,
  customerService,
  fraudCheckClear,
  fraudCheckQuery,
} from "./customer.ts";
export {
  type CommandContract,
  defineService,
  type EventContract,
  HTTP_METHODS,
  type HttpEndpointContract,
  type HttpMethod,
  type HttpResponseContract,
  type ServiceContract,
} from "./define-service.ts";
export { type ContractError, ContractErrorCode, ContractErrors } from "./errors.ts";
export {
  approveOrderPayload,
  beginOrderCancellationPayload,
  cancelOrderPayload,
  createOrderPayload,
  OrderStatus,
  orderApproved,
  orderCancellationReverted,
  orderCancellationStarted,
  orderCancelled,
  orderCreated,
  orderItem,
  orderNotCancellable,
  orderRejected,
  orderService,
  rejectOrderPayload,
  revertOrderCancellationPayload,
} from "./order.ts";
export {
  paymentCaptured,
  paymentDeclined,
  paymentProviderService,
} from "./payment-provider.ts";
export {
  commandContract,
  contractsJsonSchema,
  correlationValue,
  type DeclaredEvent,
  declaredEvents,
  type ServiceName,
  serviceContracts,
} from "./registry.ts";

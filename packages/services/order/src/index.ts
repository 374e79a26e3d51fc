export { type OrderConfig, orderConfigSchema } from "./config.ts";
export { type OrderError, OrderErrorCode, OrderErrors } from "./errors.ts";
export { orderMigrations } from "./migrations/index.ts";
export { createOrderApp, type OrderAppDeps, orderView } from "./order-app.ts";
export { orderHandlers } from "./order-handlers.ts";
export {
  ORDER_SERVICE_NAME,
  type OrderService,
  type OrderServiceDeps,
  orderProcessDefinition,
  orderServiceDefinition,
  startOrderService,
} from "./order-service.ts";
export {
  createOrderStore,
  type NewOrder,
  type Order,
  type OrderItem,
  type OrderListQuery,
  type OrderPosition,
  type OrderStatus,
  type OrderStore,
  type StatusChange,
} from "./order-store.ts";

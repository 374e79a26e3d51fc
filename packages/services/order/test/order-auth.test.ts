// Every route of the order API refuses a missing or wrong credential, and writes refuse the
// read token (a write left open would let anyone change the service's data).
import { describeRouteAuth } from "@sagaworks/service-kit/testing";
import { createOrderApp, orderMigrations } from "../src/index.ts";

describeRouteAuth({
  service: "order",
  migrations: orderMigrations,
  createApp: createOrderApp,
  routes: ["GET /orders", "GET /orders/{id}", "PATCH /orders/{id}"],
  readPath: "/orders",
});

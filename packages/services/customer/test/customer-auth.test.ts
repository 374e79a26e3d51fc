// Every route of the customer API refuses a missing or wrong credential, and writes refuse the
// read token (a write left open would let anyone change the service's data).
import { describeRouteAuth } from "@sagaworks/service-kit/testing";
import { createCustomerApp, customerMigrations } from "../src/index.ts";

describeRouteAuth({
  service: "customer",
  migrations: customerMigrations,
  createApp: createCustomerApp,
  routes: [
    "GET /customers",
    "GET /customers/{id}",
    "GET /customers/{id}/fraud-check",
    "PATCH /customers/{id}",
    "POST /customers",
  ],
  readPath: "/customers",
});

// Every route of the account API refuses a missing or wrong credential, and writes refuse the
// read token (a write left open would let anyone change the service's data).
import { describeRouteAuth } from "@sagaworks/service-kit/testing";
import { accountMigrations, createAccountApp } from "../src/index.ts";

describeRouteAuth({
  service: "account",
  migrations: accountMigrations,
  createApp: createAccountApp,
  routes: ["GET /accounts", "GET /accounts/{customerId}", "POST /accounts"],
  readPath: "/accounts",
});

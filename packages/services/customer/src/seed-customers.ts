import type { NewCustomer } from "./customer-store.ts";

/**
 * Customers every environment starts with. The demo and the account service refer to these ids,
 * so they are stable; the limits differ so that sagas can show approval, a credit-limit refusal
 * and a suspended customer.
 */
export const seedCustomers: readonly NewCustomer[] = [
  {
    id: "cust-ada",
    name: "Ada Lovelace",
    email: "ada@example.com",
    creditLimitCents: 500_000,
    status: "ACTIVE",
  },
  {
    id: "cust-grace",
    name: "Grace Hopper",
    email: "grace@example.com",
    creditLimitCents: 1_000_000,
    status: "ACTIVE",
  },
  {
    id: "cust-alan",
    name: "Alan Turing",
    email: "alan@example.com",
    creditLimitCents: 25_000,
    status: "ACTIVE",
  },
  {
    id: "cust-margaret",
    name: "Margaret Hamilton",
    email: "margaret@example.com",
    creditLimitCents: 0,
    status: "ACTIVE",
  },
  {
    id: "cust-linus",
    name: "Linus Torvalds",
    email: "linus@example.com",
    creditLimitCents: 200_000,
    status: "SUSPENDED",
  },
];

// The seed data of a fresh environment: the seed customers, and an account per customer with
// its credit limit. Idempotent: what exists already (409) is left as it is.
import { seedCustomers } from "@sagaworks/customer-service";
import { SystemErrorCode, SystemErrors } from "./errors.ts";

/** What {@link seedEnvironment} did. */
export interface SeedReport {
  customers: { created: number; existing: number };
  accounts: { created: number; existing: number };
}

/**
 * Creates the seed customers through the customer service's API and their accounts through the
 * account service's API. Each service owns its data, so the seed goes through their APIs, not
 * their tables. Running it again changes nothing.
 */
export async function seedEnvironment(urls: {
  customer: string;
  account: string;
  /** The services' SERVICE_WRITE_TOKEN: creating customers and accounts are writes. */
  writeToken: string;
}): Promise<SeedReport> {
  const auth = `Bearer ${urls.writeToken}`;
  const report: SeedReport = {
    customers: { created: 0, existing: 0 },
    accounts: { created: 0, existing: 0 },
  };
  for (const customer of seedCustomers) {
    const created = await postIdempotent(`${urls.customer}/customers`, customer, auth);
    report.customers[created ? "created" : "existing"]++;
    const opened = await postIdempotent(
      `${urls.account}/accounts`,
      {
        customerId: customer.id,
        creditLimitCents: customer.creditLimitCents,
      },
      auth,
    );
    report.accounts[opened ? "created" : "existing"]++;
  }
  return report;
}

/** POSTs a body; true when it was created (201), false when it existed (409). */
async function postIdempotent(url: string, body: unknown, authorization: string): Promise<boolean> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify(body),
  });
  if (response.status === 201) return true;
  if (response.status === 409) return false;
  throw SystemErrors.create(
    SystemErrorCode.seedFailed,
    `seeding failed: POST ${url} answered ${response.status} ${await response.text()}`,
  );
}

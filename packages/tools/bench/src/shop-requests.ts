// The requests the benchmark makes of the reference shop over HTTP: a JSON POST, a customer with
// its account opened (again, harmlessly, on a rerun), and a create-order saga started; shared by
// the engine-against-baseline comparison and the retention benchmark.
import { BenchErrorCode, BenchErrors } from "./errors.ts";

/** POSTs `body` as JSON; the status and the body as text. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** The order every benchmark saga or baseline order is for: one 100-cent item. */
export function benchOrder(customerId: string) {
  return {
    customerId,
    items: [{ sku: "sku-bench", quantity: 1, unitPriceCents: 100 }],
    totalCents: 100,
  };
}

/**
 * Creates the customer `id` on the customer service at `customerUrl` and opens its account with
 * `creditLimitCents` on the account service at `accountUrl`; one that exists already (409) is
 * kept. Throws BENCH_REQUEST_REFUSED with the service's answer otherwise.
 */
export async function openBenchCustomer(
  urls: { customer: string; account: string },
  id: string,
  creditLimitCents: number,
  serviceAuth: Record<string, string>,
): Promise<void> {
  const customer = await postJson(
    `${urls.customer}/customers`,
    { id, name: `Customer ${id}`, email: `${id}@example.com`, creditLimitCents },
    serviceAuth,
  );
  if (customer.status !== 201 && customer.status !== 409)
    throw BenchErrors.create(
      BenchErrorCode.requestRefused,
      `creating customer ${id}: ${customer.status} ${customer.text}`,
    );
  const account = await postJson(
    `${urls.account}/accounts`,
    { customerId: id, creditLimitCents },
    serviceAuth,
  );
  if (account.status !== 201 && account.status !== 409)
    throw BenchErrors.create(
      BenchErrorCode.requestRefused,
      `opening the account of ${id}: ${account.status} ${account.text}`,
    );
}

/**
 * Starts a create-order saga of {@link benchOrder} for `customerId` through the orchestrator at
 * `orchestratorUrl`; its id. Throws BENCH_REQUEST_REFUSED unless the start is answered 201.
 */
export async function startBenchSaga(
  orchestratorUrl: string,
  customerId: string,
  auth: Record<string, string>,
): Promise<{ id: string }> {
  const answer = await postJson(
    `${orchestratorUrl}/sagas/create-order`,
    { input: benchOrder(customerId) },
    auth,
  );
  if (answer.status !== 201)
    throw BenchErrors.create(
      BenchErrorCode.requestRefused,
      `start: ${answer.status} ${answer.text}`,
    );
  return { id: (JSON.parse(answer.text) as { sagaId: string }).sagaId };
}

import { randomUUID } from "node:crypto";
import {
  amountCents,
  customer,
  customerError,
  entityId,
  fraudCheckClear,
  fraudCheckQuery,
} from "@sagaworks/contracts";
import type { Database, Logger, MetricsRegistry } from "@sagaworks/platform";
import {
  createServiceApp,
  errorResponseBody,
  pageBody,
  pageOf,
  pageQueryShape,
  type ServiceApp,
  type ServiceAuth,
  storableString,
  storableText,
  textKeyPageCursor,
  urlSafeId,
} from "@sagaworks/service-kit";
import { z } from "zod";
import { type CustomerStore, createCustomerStore } from "./customer-store.ts";
import { CustomerErrorCode } from "./errors.ts";

/** The customer list's cursor: the last id of a page. */
const customerCursor = textKeyPageCursor("customers");

/** What the customer API needs. */
export interface CustomerAppDeps {
  /** A migrated customer schema (see `prepareCustomerDatabase`); also checked by `/ready`. */
  db: Database;
  logger: Logger;
  /** Bearer tokens: writes need the write token; reads the read token when one is set. */
  auth: ServiceAuth;
  /** The process's Prometheus registry, served at `/metrics`; defaults to the app's own. */
  metrics?: MetricsRegistry | undefined;
  /** Defaults to the Postgres store on `db`. */
  store?: CustomerStore;
}

// Request fields are built from the contract's own field schemas, so what the service accepts
// can never be something its contract could not return.
const status = customer.shape.status;
const name = storableString().trim().min(1, "must not be empty").max(200);
const email = z.email({ message: "must be an email address" }).max(254);
const storedId = storableText(entityId);
// Stricter than the contract's entityId (which any stored id satisfies): ids travel in URL paths
// and log lines, so new ones are kept to characters that need no escaping.
const newCustomerId = urlSafeId(storedId);

const createBody = z.strictObject({
  id: newCustomerId.optional(),
  name,
  email,
  creditLimitCents: amountCents,
  status: status.default("ACTIVE"),
});
const updateBody = z
  .strictObject({
    name: name.optional(),
    email: email.optional(),
    creditLimitCents: amountCents.optional(),
    status: status.optional(),
  })
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), {
    message: "send at least one of name, email, creditLimitCents, status",
  });
const idParams = z.object({ id: storedId });
const listQuery = z.object({
  ...pageQueryShape,
  status: status.optional(),
});
const customerPage = pageBody(customer);

// The contract fixes this body as { error, message }, unlike the service kit's error body
// { code, message, details }: sagas read it through the contract, so the contract wins.
function notFound(id: string) {
  return {
    error: CustomerErrorCode.notFound,
    message: `No customer with id "${id}". Check the id, or create the customer with POST /customers.`,
  };
}

/**
 * The customer service's HTTP app: create, read, update and list customers, with OpenAPI at
 * `/docs`, `/health` and `/ready`. GET /customers/:id answers exactly the contract's shapes.
 */
export async function createCustomerApp(deps: CustomerAppDeps): Promise<ServiceApp> {
  const store = deps.store ?? createCustomerStore(deps.db);
  const app = await createServiceApp({
    logger: deps.logger,
    title: "Sagaworks customer service",
    db: deps.db,
    auth: deps.auth,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    metrics: deps.metrics,
  });

  app.post(
    "/customers",
    {
      schema: {
        description: "Create a customer. Without an id, a UUID is assigned.",
        body: createBody,
        response: { 201: customer, 400: errorResponseBody, 409: errorResponseBody },
      },
    },
    async (request, reply) => {
      const { id = randomUUID(), ...fields } = request.body;
      const created = await store.create({ id, ...fields });
      return reply
        .code(201)
        .header("location", `/customers/${encodeURIComponent(created.id)}`)
        .send(created);
    },
  );

  app.get(
    "/customers/:id",
    {
      schema: {
        description: "Read one customer (the contract sagas call).",
        params: idParams,
        response: { 200: customer, 400: errorResponseBody, 404: customerError },
      },
    },
    async (request, reply) => {
      const found = await store.get(request.params.id);
      if (!found) return reply.code(404).send(notFound(request.params.id));
      return found;
    },
  );

  app.get(
    "/customers/:id/fraud-check",
    {
      schema: {
        description:
          "Checks a charge against the customer (the contract sagas call above a threshold): 422 for a suspended customer or an amount above the credit limit.",
        params: idParams,
        querystring: fraudCheckQuery,
        response: {
          200: fraudCheckClear,
          400: errorResponseBody,
          404: customerError,
          422: customerError,
        },
      },
    },
    async (request, reply) => {
      const found = await store.get(request.params.id);
      if (!found) return reply.code(404).send(notFound(request.params.id));
      const { amountCents } = request.query;
      if (found.status === "SUSPENDED" || amountCents > found.creditLimitCents) {
        return reply.code(422).send({
          error: "FRAUD_SUSPECTED",
          message:
            found.status === "SUSPENDED"
              ? `Customer "${found.id}" is suspended: no charge is accepted.`
              : `A charge of ${amountCents} cents is above the credit limit of customer "${found.id}" (${found.creditLimitCents} cents).`,
        });
      }
      return { customerId: found.id, verdict: "clear" as const };
    },
  );

  app.patch(
    "/customers/:id",
    {
      schema: {
        description: "Change a customer's name, email, credit limit or status.",
        params: idParams,
        body: updateBody,
        response: {
          200: customer,
          400: errorResponseBody,
          404: customerError,
          409: errorResponseBody,
        },
      },
    },
    async (request, reply) => {
      const updated = await store.update(request.params.id, request.body);
      if (!updated) return reply.code(404).send(notFound(request.params.id));
      return updated;
    },
  );

  app.get(
    "/customers",
    {
      schema: {
        description:
          "Customers in id order, optionally of one status. Pass nextCursor back as cursor for the next page; null means the last page.",
        querystring: listQuery,
        response: { 200: customerPage, 400: errorResponseBody },
      },
    },
    async (request) => {
      const { limit, cursor, status: wanted } = request.query;
      const afterId = cursor === undefined ? undefined : customerCursor.decode(cursor);
      const rows = await store.list({ limit: limit + 1, afterId, status: wanted });
      return pageOf(
        rows,
        limit,
        (row) => row,
        (last) => customerCursor.encode(last.id),
      );
    },
  );

  return app;
}

import { amountCents, entityId } from "@sagaworks/contracts";
import {
  createServiceApp,
  errorResponseBody,
  pageBody,
  pageOf,
  pageQueryShape,
  type ServiceApp,
  storableText,
  textKeyPageCursor,
  urlSafeId,
} from "@sagaworks/service-kit";
import type { ParticipantAppDeps } from "@sagaworks/service-kit/participant";
import { z } from "zod";
import { type Account, createAccountStore, type Reservation } from "./account-store.ts";
import { AccountErrorCode, AccountErrors } from "./errors.ts";

/** The account list's cursor: the last customer id of a page. */
const accountCursor = textKeyPageCursor("accounts");

/** What the account API needs: a migrated account schema, tokens, and optionally metrics and readiness. */
export type AccountAppDeps = ParticipantAppDeps;

/** How many reservations GET /accounts/:customerId shows, newest first. */
export const RESERVATIONS_SHOWN = 100;

/** An account as the API lists it. */
export const accountSummary = z.object({
  customerId: entityId,
  creditLimitCents: z.int(),
  availableCents: z.int(),
  reservedCents: z.int(),
  spentCents: z.int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** A reservation as the API shows it. */
export const reservationView = z.object({
  orderId: entityId,
  amountCents: z.int(),
  status: z.enum(["RESERVED", "RELEASED"]),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** One account with its most recent reservations. */
export const accountView = accountSummary.extend({ reservations: z.array(reservationView) });

// New customer ids travel in URL paths and log lines, so they are kept to characters that need
// no escaping (any id the contract accepts can still be read).
const newCustomerId = urlSafeId(storableText(entityId));
// Ids read from the path: what Postgres can store, so a NUL is a 400 here, not a database error.
const storedId = storableText(entityId);
const createBody = z.strictObject({ customerId: newCustomerId, creditLimitCents: amountCents });
const customerParams = z.object({ customerId: storedId });
const listQuery = z.object({
  ...pageQueryShape,
});
const accountPage = pageBody(accountSummary);

function toSummary(account: Account): z.infer<typeof accountSummary> {
  return {
    customerId: account.customerId,
    creditLimitCents: account.creditLimitCents,
    availableCents: account.availableCents,
    reservedCents: account.reservedCents,
    spentCents: account.spentCents,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}

function toReservationView(reservation: Reservation): z.infer<typeof reservationView> {
  return {
    orderId: reservation.orderId,
    amountCents: reservation.amountCents,
    status: reservation.status,
    createdAt: reservation.createdAt.toISOString(),
    updatedAt: reservation.updatedAt.toISOString(),
  };
}

/**
 * The account service's HTTP app: open an account, read one with its recent reservations, list
 * them; OpenAPI at `/docs`, `/health` and `/ready`. Credit moves only through saga commands.
 */
export async function createAccountApp(deps: AccountAppDeps): Promise<ServiceApp> {
  const store = createAccountStore(deps.db.knex);
  const app = await createServiceApp({
    logger: deps.logger,
    title: "Sagaworks account service",
    db: deps.db,
    auth: deps.auth,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    isReady: deps.isReady,
    metrics: deps.metrics,
  });

  app.post(
    "/accounts",
    {
      schema: {
        description: "Open a customer's account with its whole credit limit available.",
        body: createBody,
        response: { 201: accountView, 400: errorResponseBody, 409: errorResponseBody },
      },
    },
    async (request, reply) => {
      const account = await store.create(request.body.customerId, request.body.creditLimitCents);
      return reply
        .code(201)
        .header("location", `/accounts/${encodeURIComponent(account.customerId)}`)
        .send({ ...toSummary(account), reservations: [] });
    },
  );

  app.get(
    "/accounts/:customerId",
    {
      schema: {
        description: `Read an account and its ${RESERVATIONS_SHOWN} most recent reservations.`,
        params: customerParams,
        response: { 200: accountView, 400: errorResponseBody, 404: errorResponseBody },
      },
    },
    async (request) => {
      const { customerId } = request.params;
      const account = await store.get(customerId);
      if (!account) {
        throw AccountErrors.create(
          AccountErrorCode.notFound,
          `Customer "${customerId}" has no account; open one with POST /accounts.`,
          { customerId },
        );
      }
      const reservations = await store.reservations(customerId, RESERVATIONS_SHOWN);
      return { ...toSummary(account), reservations: reservations.map(toReservationView) };
    },
  );

  app.get(
    "/accounts",
    {
      schema: {
        description:
          "Accounts in customer-id order. Pass nextCursor back as cursor for the next page; null means the last page.",
        querystring: listQuery,
        response: { 200: accountPage, 400: errorResponseBody },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const afterCustomerId = cursor === undefined ? undefined : accountCursor.decode(cursor);
      const rows = await store.list({ limit: limit + 1, afterCustomerId });
      return pageOf(rows, limit, toSummary, (last) => accountCursor.encode(last.customerId));
    },
  );

  return app;
}

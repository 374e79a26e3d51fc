import { entityId, OrderStatus, orderItem } from "@sagaworks/contracts";
import {
  createServiceApp,
  cursorText,
  cursorTimestamp,
  definePageCursor,
  errorResponseBody,
  pageBody,
  pageOf,
  pageQueryShape,
  type ServiceApp,
  storableString,
  storableText,
} from "@sagaworks/service-kit";
import type { ParticipantAppDeps } from "@sagaworks/service-kit/participant";
import { z } from "zod";
import { type OrderError, OrderErrorCode, OrderErrors } from "./errors.ts";
import {
  createOrderStore,
  type Order,
  type OrderPosition,
  type OrderStatus as Status,
} from "./order-store.ts";

// The order list's cursor: created_at and id of a page's last order (a date Postgres cannot
// store, or anything else this service did not return, is a 400 CURSOR_INVALID).
const orderCursor = definePageCursor("orders", z.tuple([cursorTimestamp, cursorText]), {
  toPosition: (last: OrderPosition) => [last.createdAt.toISOString(), last.id],
  fromPosition: ([createdAt, id]) => ({ createdAt, id }),
});

/** What the order API needs: a migrated order schema, tokens, and optionally metrics and readiness. */
export type OrderAppDeps = ParticipantAppDeps;

/** An order as the API shows it. */
export const orderView = z.object({
  id: entityId,
  customerId: entityId,
  items: z.array(orderItem),
  totalCents: z.int(),
  status: OrderStatus,
  statusReason: z.string().nullable(),
  note: z.string().nullable(),
  lockedBySaga: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

// While a saga owns the order (creating or cancelling it), a client edit could interleave with
// the saga's own writes and be lost or contradict them: the semantic lock of the saga pattern.
const LOCKED_STATUSES: readonly Status[] = ["PENDING", "CANCELLING"];

// Ids and text read from the request: what Postgres can store, so a NUL is a 400, not a 500.
const storedId = storableText(entityId);
const idParams = z.object({ id: storedId });
const listQuery = z.object({
  customerId: storedId.optional(),
  ...pageQueryShape,
});
const patchBody = z.strictObject({ note: storableString().max(2000).nullable() });
const orderPage = pageBody(orderView);

function toView(order: Order): z.infer<typeof orderView> {
  return {
    id: order.id,
    customerId: order.customerId,
    items: order.items,
    totalCents: order.totalCents,
    status: order.status,
    statusReason: order.statusReason,
    note: order.note,
    lockedBySaga: order.lockedBySaga,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

function notFound(id: string): OrderError {
  return OrderErrors.format(OrderErrorCode.notFound, { id });
}

/**
 * The order service's HTTP app: read and list orders, and edit an order's note while no saga
 * owns it; OpenAPI at `/docs`, `/health` and `/ready`. Orders are created and moved by sagas only.
 */
export async function createOrderApp(deps: OrderAppDeps): Promise<ServiceApp> {
  const store = createOrderStore(deps.db.knex);
  const app = await createServiceApp({
    logger: deps.logger,
    title: "Sagaworks order service",
    db: deps.db,
    auth: deps.auth,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    isReady: deps.isReady,
    metrics: deps.metrics,
  });

  app.get(
    "/orders/:id",
    {
      schema: {
        description: "Read one order.",
        params: idParams,
        response: { 200: orderView, 400: errorResponseBody, 404: errorResponseBody },
      },
    },
    async (request) => {
      const order = await store.get(request.params.id);
      if (!order) throw notFound(request.params.id);
      return toView(order);
    },
  );

  app.get(
    "/orders",
    {
      schema: {
        description:
          "Orders, newest first, optionally of one customer. Pass nextCursor back as cursor for the next page; null means the last page.",
        querystring: listQuery,
        response: { 200: orderPage, 400: errorResponseBody },
      },
    },
    async (request) => {
      const { customerId, limit, cursor } = request.query;
      const after = cursor === undefined ? undefined : orderCursor.decode(cursor);
      const rows = await store.list({ customerId, limit: limit + 1, after });
      return pageOf(rows, limit, toView, (last) => orderCursor.encode(last));
    },
  );

  app.patch(
    "/orders/:id",
    {
      schema: {
        description:
          "Set or clear an order's note. Refused with 409 ORDER_LOCKED while a saga owns the order (PENDING or CANCELLING).",
        params: idParams,
        body: patchBody,
        response: {
          200: orderView,
          400: errorResponseBody,
          404: errorResponseBody,
          409: errorResponseBody,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const outcome = await store.setNote(id, request.body.note, LOCKED_STATUSES);
      if (!outcome) throw notFound(id);
      if ("locked" in outcome) {
        throw OrderErrors.create(
          OrderErrorCode.locked,
          `Order "${id}" is ${outcome.locked.status}: a saga${outcome.locked.lockedBySaga ? ` (${outcome.locked.lockedBySaga})` : ""} owns it until it finishes. Try again once the order is APPROVED, REJECTED or CANCELLED.`,
          { id, status: outcome.locked.status, lockedBySaga: outcome.locked.lockedBySaga },
        );
      }
      return toView(outcome.order);
    },
  );

  return app;
}

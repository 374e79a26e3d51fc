// Field schemas shared by several services' contracts.
import { z } from "zod";

/** An entity id: the order id is the saga id, so ids are opaque non-empty strings. */
export const entityId = z.string().min(1).max(128);

/** An amount of money in integer cents (no floating point for money). */
export const amountCents = z.int().min(0).max(100_000_000_000);

/** A free-text reason, e.g. why an order was rejected. */
export const reason = z.string().min(1).max(1000);

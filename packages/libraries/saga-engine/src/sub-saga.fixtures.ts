// What the engine's sub-saga tests share: the input their sagas take, the child's one step,
// which holds credit and releases it when compensated (no pivot, so a parent may ask it to undo),
// that child and a parent's step that starts it, and the order their sagas create for the
// input's amount.
import { serviceContracts } from "@sagaworks/contracts";
import { type CompiledSaga, catalogOf, compileSagaOrThrow } from "@sagaworks/saga-definition";
import {
  createOrderStep,
  reserveCreditStep as reserveCredit,
} from "@sagaworks/saga-definition/testing";

/** `{ customerId, amountCents }`, the input of every saga in the sub-saga tests. */
export const customerAmountInput = {
  type: "object",
  properties: { customerId: { type: "string" }, amountCents: { type: "integer", minimum: 0 } },
  required: ["customerId", "amountCents"],
};

/**
 * Compiles a saga of version 1 taking {@link customerAmountInput} against the reference
 * contracts, with `children` (if any) as the sagas its steps may start.
 */
export function customerAmountSaga(
  definition: { name: string; description: string } & Record<string, unknown>,
  children: CompiledSaga[] = [],
): CompiledSaga {
  const { name, description, ...rest } = definition;
  return compileSagaOrThrow(
    { name, version: 1, description, input: customerAmountInput, ...rest },
    children.length > 0
      ? { contracts: serviceContracts, sagas: catalogOf(children) }
      : { contracts: serviceContracts },
  );
}

/**
 * A parent's step `place` that starts the `place` child for the input's customer and
 * `amountCents` (a mapping); `settings` adds its role and compensation.
 */
export function placeStep(
  amountCents: string,
  settings: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: "place",
    kind: "saga",
    saga: { name: "place", version: 1 },
    input: { customerId: "$.input.customerId", amountCents },
    deadline: "20m",
    ...settings,
  };
}

/** Reserves the input's amount under the saga's id; compensated by releasing it. */
export const reserveCreditStep = reserveCredit(
  {
    name: "reserve",
    compensation: {
      command: "ReleaseCredit",
      payload: {
        customerId: "$.input.customerId",
        orderId: "$.sagaId",
        amountCents: "$.input.amountCents",
      },
    },
  },
  "$.input.amountCents",
);

/** CreateOrder as a step named `create`, for the input's amount; `settings` adds its role. */
export function createStep(settings: Record<string, unknown> = {}): Record<string, unknown> {
  return createOrderStep({ name: "create", ...settings }, { totalCents: "$.input.amountCents" });
}

/** A child without a pivot (every step undoable), so its parent may ask it to undo itself. */
export const holdSaga = customerAmountSaga({
  name: "hold",
  description: "holds credit",
  output: { held: "$.steps.reserve.reply.amountCents" },
  steps: [reserveCreditStep],
});

/** A parent's step `hold` that starts {@link holdSaga} for its input and compensates through it. */
export const holdStep = {
  name: "hold",
  kind: "saga",
  saga: { name: "hold", version: 1 },
  input: { customerId: "$.input.customerId", amountCents: "$.input.amountCents" },
  deadline: "10m",
  compensation: "child",
};

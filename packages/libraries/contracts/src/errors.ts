// The one error module of the contracts package.
import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** Every error the contracts package raises: a stable code, a message that says what to do. */
export const ContractErrors = defineErrors("@sagaworks/contracts", {
  serviceUnknown: { code: "CONTRACT_SERVICE_UNKNOWN" },
  commandUnknown: { code: "CONTRACT_COMMAND_UNKNOWN" },
  eventDeclaredTwice: { code: "CONTRACT_EVENT_DECLARED_TWICE" },
});
/** Stable codes of every error the contracts package raises. */
export const ContractErrorCode = ContractErrors.codes;
export type ContractErrorCode = ErrorCodeOf<typeof ContractErrors>;
/** An error of the contracts package (narrow with `ContractErrors.is`). */
export type ContractError = ErrorOf<typeof ContractErrors>;

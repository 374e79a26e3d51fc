// Every package's error registry loaded into one process, as `startSystem` loads them: a code
// declared by two packages would already have failed the imports. The table below pins the HTTP
// status of every code that can reach a client; changing one changes the API.

import { AccountErrors } from "@sagaworks/account-service";
import { ContractErrors } from "@sagaworks/contracts";
import { CustomerErrors } from "@sagaworks/customer-service";
import { declaredError } from "@sagaworks/errors";
import { MessagingErrors } from "@sagaworks/messaging";
import { OrchestratorErrors } from "@sagaworks/orchestrator";
import { OrderErrors } from "@sagaworks/order-service";
import { ParticipantErrors } from "@sagaworks/participant-sdk";
import { PlatformErrors } from "@sagaworks/platform";
import { CliErrors } from "@sagaworks/saga-cli";
import { SagaDefinitionErrors } from "@sagaworks/saga-definition";
import { EngineErrors } from "@sagaworks/saga-engine";
import { ServiceErrors } from "@sagaworks/service-kit";
import { TopologyErrors } from "@sagaworks/topology";
import { describe, expect, it } from "vitest";

const registries = [
  ContractErrors,
  MessagingErrors,
  OrchestratorErrors,
  ParticipantErrors,
  PlatformErrors,
  CliErrors,
  SagaDefinitionErrors,
  EngineErrors,
  ServiceErrors,
  TopologyErrors,
  AccountErrors,
  CustomerErrors,
  OrderErrors,
];

describe("the workspace's error codes", () => {
  it("have one owner each", () => {
    const codes = registries.flatMap((registry) => Object.values(registry.codes) as string[]);
    expect(new Set(codes).size).toBe(codes.length);
    for (const registry of registries) {
      for (const code of Object.values(registry.codes) as string[]) {
        expect(declaredError(code)?.owner).toBe(registry.owner);
      }
    }
  });

  it("reach HTTP with these statuses, and no other code does", () => {
    const statuses = Object.fromEntries(
      registries
        .flatMap((registry) => Object.values(registry.codes) as string[])
        .map((code) => [code, declaredError(code)?.status] as const)
        .filter(([, status]) => status !== undefined),
    );
    expect(statuses).toEqual({
      SAGA_DEFINITION_CONFLICT: 409,
      SAGA_DEFINITION_UNKNOWN: 404,
      SAGA_NOT_FOUND: 404,
      SAGA_WRITE_CONFLICT: 503,
      SAGA_ARCHIVED: 410,
      SAGA_INPUT_INVALID: 400,
      SAGA_INPUT_TOO_LARGE: 400,
      SAGA_ACTION_REFUSED: 409,
      DEAD_LETTER_QUEUE_UNKNOWN: 404,
      DEAD_LETTER_QUEUE_MISSING: 404,
      REQUEST_INVALID: 400,
      REQUEST_MALFORMED: 400,
      REQUEST_UNSTORABLE: 400,
      UNAUTHORIZED: 401,
      MEDIA_TYPE_UNSUPPORTED: 415,
      BODY_TOO_LARGE: 413,
      ROUTE_NOT_FOUND: 404,
      CURSOR_INVALID: 400,
      INTERNAL: 500,
      SERVICE_STARTING: 503,
      ACCOUNT_NOT_FOUND: 404,
      ACCOUNT_EXISTS: 409,
      CUSTOMER_NOT_FOUND: 404,
      CUSTOMER_ID_TAKEN: 409,
      CUSTOMER_EMAIL_TAKEN: 409,
      ORDER_NOT_FOUND: 404,
      ORDER_LOCKED: 409,
    });
  });
});

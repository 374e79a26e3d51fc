// Benchmark (not a test): validate + compile a 100-step definition and print the median time and
// ops/sec. Run: node packages/libraries/saga-definition/bench/compile-100-steps.ts [runs]
import { serviceContracts } from "@sagaworks/contracts";
import { compileSaga } from "../src/index.ts";
import { approveOrderStep, reserveCreditStep, verifyCustomerStep } from "../src/testing/index.ts";

const STEPS = 100;
const runs = Number(process.argv[2] ?? 200);

/** 1 HTTP check, 97 compensatable commands that each read the previous reply, a pivot, a final step. */
function hundredStepDefinition(): unknown {
  const steps: unknown[] = [verifyCustomerStep()];
  for (let index = 1; index < STEPS - 2; index++) {
    const previous = index === 1 ? undefined : `step-${index - 1}`;
    steps.push({
      name: `step-${index}`,
      kind: "command",
      service: "order",
      command: "CreateOrder",
      payload: {
        orderId: previous ? `$.steps.${previous}.reply.orderId` : "$.sagaId",
        customerId: "$.steps.verify-customer.response.body.id",
        items: [{ sku: `sku-${index}`, quantity: 1, unitPriceCents: 100 }],
        totalCents: "$.input.totalCents",
      },
      outcomes: { success: ["OrderCreated"] },
      compensation: {
        command: "RejectOrder",
        payload: { orderId: "$.sagaId", reason: "$.failure.message" },
      },
      retry: {
        maxAttempts: 5,
        initialDelay: "1s",
        maxDelay: "1m",
        nonRetryable: ["PAYLOAD_INVALID"],
      },
      timeout: "30s",
    });
  }
  steps.push(
    reserveCreditStep(
      { pivot: true },
      "$.input.totalCents",
      `$.steps.step-${STEPS - 3}.reply.orderId`,
    ),
    approveOrderStep(),
  );
  return {
    name: "hundred-steps",
    version: 1,
    description: "Benchmark saga with 100 steps.",
    input: {
      type: "object",
      properties: { customerId: { type: "string" }, totalCents: { type: "integer" } },
      required: ["customerId", "totalCents"],
    },
    timeout: "1h",
    steps,
  };
}

// Start from JSON text each time, as the CLI does, so no run reuses another's objects.
const text = JSON.stringify(hundredStepDefinition());
const once = compileSaga(JSON.parse(text), { contracts: serviceContracts });
if (!once.ok) {
  console.error(once.diagnostics.slice(0, 5));
  throw new Error("the benchmark definition must be valid");
}
for (let warm = 0; warm < 20; warm++)
  compileSaga(JSON.parse(text), { contracts: serviceContracts });

const samples: number[] = [];
for (let run = 0; run < runs; run++) {
  const definition: unknown = JSON.parse(text);
  const started = performance.now();
  compileSaga(definition, { contracts: serviceContracts });
  samples.push(performance.now() - started);
}
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)] as number;
const p95 = samples[Math.floor(samples.length * 0.95)] as number;
console.log(
  `validate+compile ${STEPS} steps (${text.length} bytes JSON): median ${median.toFixed(2)} ms, ` +
    `p95 ${p95.toFixed(2)} ms, ${(1000 / median).toFixed(0)} ops/sec over ${runs} runs (Node ${process.versions.node})`,
);

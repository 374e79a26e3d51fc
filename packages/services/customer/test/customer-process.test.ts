// The service as operators run it: `node src/main.ts`, configured by the environment only.
import { customer } from "@sagaworks/contracts";
import { describeServiceProcess } from "@sagaworks/service-kit/testing";
import { expect } from "vitest";

describeServiceProcess({
  service: "customer",
  main: new URL("../src/main.ts", import.meta.url),
  // CUSTOMER_SEED defaults to true: the seed customers are restored at start-up.
  startsAs: "seeded",
  started: { msg: "customer database ready" },
  missingPath: "/customers/none",
  async serves(address) {
    // A seeded customer, exactly as the contract describes it.
    const response = await fetch(`${address}/customers/cust-ada`);
    expect(response.status).toBe(200);
    expect(customer.strict().parse(await response.json()).id).toBe("cust-ada");
  },
  invalid: { CUSTOMER_SEED: "sometimes" },
});

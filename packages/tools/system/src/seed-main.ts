// `npm run seed`: the seed customers and their accounts, through the services' APIs.
// Idempotent; `npm run stack` runs it once the services are ready.
//
//   SERVICE_WRITE_TOKEN=… CUSTOMER_URL=http://127.0.0.1:3003 ACCOUNT_URL=http://127.0.0.1:3002 npm run seed
import { loadConfig } from "@sagaworks/platform";
import { z } from "zod";
import { seedEnvironment } from "./seed.ts";

const config = loadConfig(
  z.object({
    /** The customer service; defaults to the stack's http://127.0.0.1:3003. */
    CUSTOMER_URL: z.url().default("http://127.0.0.1:3003"),
    /** The account service; defaults to the stack's http://127.0.0.1:3002. */
    ACCOUNT_URL: z.url().default("http://127.0.0.1:3002"),
    /** The services' write token (their SERVICE_WRITE_TOKEN). */
    SERVICE_WRITE_TOKEN: z
      .string()
      .min(16, "must be at least 16 characters: the services' SERVICE_WRITE_TOKEN"),
  }),
);
try {
  const report = await seedEnvironment({
    customer: config.CUSTOMER_URL,
    account: config.ACCOUNT_URL,
    writeToken: config.SERVICE_WRITE_TOKEN,
  });
  process.stdout.write(
    `seeded: customers ${report.customers.created} created, ${report.customers.existing} already there; accounts ${report.accounts.created} created, ${report.accounts.existing} already there\n`,
  );
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

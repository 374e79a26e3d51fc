import type { ServiceAuth } from "../service-auth.ts";

/** Tokens for tests of a service's HTTP API: both set, so reads and writes are both checked. */
export const testServiceAuth: Required<ServiceAuth> = {
  writeToken: "test-write-token-0123456789",
  readToken: "test-read-token-0123456789",
};

/** The Authorization header of the test write token (which reads accept too). */
export const testWriteHeaders = { authorization: `Bearer ${testServiceAuth.writeToken}` };

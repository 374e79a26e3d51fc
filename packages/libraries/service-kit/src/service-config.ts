import { z } from "zod";

/**
 * `PORT` and `HOST` of a service's HTTP server: the port defaults to `defaultPort` (0 lets the OS
 * pick one, for tests), the interface to loopback `127.0.0.1`. Spread it into a config schema.
 */
export function listenConfigShape(defaultPort: number) {
  return {
    /** HTTP port; 0 lets the OS pick one, for tests. */
    PORT: z.coerce.number().int().min(0).max(65_535).default(defaultPort),
    /** Interface to listen on; defaults to loopback `127.0.0.1`. */
    HOST: z.string().min(1).default("127.0.0.1"),
  };
}

/** A Postgres schema name a service keeps its tables in, `defaultSchema` when unset. */
export function dbSchemaName(defaultSchema: string) {
  return z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      "use lower-case letters, digits and underscores, starting with a letter or underscore",
    )
    .default(defaultSchema);
}

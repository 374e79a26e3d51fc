import { PlatformErrorCode, PlatformErrors } from "./errors.ts";

/** An SQS/SNS emulator running in this process and serving HTTP on loopback. */
export interface EmbeddedBroker {
  /** Base URL, e.g. `http://127.0.0.1:43125`; give it to the SDK as the endpoint. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** TCP port; 0 (the default) lets the OS choose a free one. */
  port?: number;
}

/**
 * Starts the fauxqs SQS/SNS emulator in-process, listening on 127.0.0.1. The SDK talks to it over real HTTP, so the
 * code under test is exactly the code that talks to AWS; only the endpoint differs.
 */
export async function startEmbeddedBroker(
  options: EmbeddedBrokerOptions = {},
): Promise<EmbeddedBroker> {
  const fauxqs = await importDevelopmentOnly<typeof import("fauxqs")>("fauxqs", "SQS/SNS emulator");
  try {
    // fauxqs's own startFauxqs() listens on every interface; build the app and bind it to
    // loopback instead, since nothing outside this machine should reach a test broker.
    const app = fauxqs.buildApp({ logger: false });
    const endpoint = await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
    return {
      endpoint,
      stop: () => app.close(),
    };
  } catch (cause) {
    throw PlatformErrors.create(
      PlatformErrorCode.embeddedBrokerFailed,
      `Could not start the embedded SQS/SNS emulator (fauxqs): ${(cause as Error).message}. ` +
        "Check that the port is free, or set AWS_ENDPOINT_URL to use another endpoint.",
      { port: options.port ?? 0 },
      { cause },
    );
  }
}

/**
 * Loads a package that only development, the demo and the tests use (fauxqs, PGlite). They are
 * dev dependencies, absent from a production build (`pnpm deploy --prod`), and loaded only when
 * asked for, so a deployed service neither ships nor loads them.
 */
export async function importDevelopmentOnly<Module>(name: string, what: string): Promise<Module> {
  try {
    return (await import(name)) as Module;
  } catch (cause) {
    throw PlatformErrors.create(
      PlatformErrorCode.developmentDependencyMissing,
      `The embedded ${what} (${name}) is a development dependency and is not installed in this build: ` +
        "a deployed process needs DATABASE_URL and SAGAWORKS_BROKER=aws or AWS_ENDPOINT_URL.",
      { module: name },
      { cause },
    );
  }
}

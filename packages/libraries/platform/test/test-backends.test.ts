import { describe, expect, it } from "vitest";
import { assertDockerReachable, startTestBroker } from "../src/testing/index.ts";

describe("the LocalStack test back end", () => {
  it("fails with a reason, never a skip, when no Docker engine answers", async () => {
    const attempt = startTestBroker({
      SAGAWORKS_TEST_BROKER: "localstack",
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    await expect(attempt).rejects.toMatchObject({ code: "TEST_BACKEND_UNAVAILABLE" });
    await expect(attempt).rejects.toThrow(
      /needs a Docker engine, but there is no socket at \/nonexistent\/docker.sock/,
    );
  });

  it("says so when a TCP Docker host does not answer", async () => {
    // Port 9 (discard) on loopback: nothing listens there on these machines.
    await expect(assertDockerReachable("tcp://127.0.0.1:9")).rejects.toThrow(
      /nothing answered at tcp:\/\/127.0.0.1:9/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { chooseTestBroker, uniqueTestName } from "./test-backends.ts";

describe("chooseTestBroker", () => {
  it("defaults to the embedded emulator", () => {
    expect(chooseTestBroker({})).toEqual({ kind: "embedded" });
  });
  it("uses AWS_ENDPOINT_URL when set", () => {
    expect(chooseTestBroker({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" })).toEqual({
      kind: "endpoint",
      endpoint: "http://127.0.0.1:4566",
    });
  });
  it("selects LocalStack only when asked, with the Docker host", () => {
    expect(chooseTestBroker({ SAGAWORKS_TEST_BROKER: "localstack" })).toEqual({
      kind: "localstack",
      dockerHost: "unix:///var/run/docker.sock",
    });
  });
  it("refuses an unknown choice instead of falling back", () => {
    expect(() => chooseTestBroker({ SAGAWORKS_TEST_BROKER: "rabbit" })).toThrow(
      /SAGAWORKS_TEST_BROKER="rabbit" is not known/,
    );
  });
  it("refuses `endpoint` without an endpoint", () => {
    expect(() => chooseTestBroker({ SAGAWORKS_TEST_BROKER: "endpoint" })).toThrow(
      /needs AWS_ENDPOINT_URL/,
    );
  });
});

describe("uniqueTestName", () => {
  it("derives a short, valid, unique name from the test's name", () => {
    const a = uniqueTestName("Splits a batch: by COUNT!", 28);
    const b = uniqueTestName("Splits a batch: by COUNT!", 28);
    expect(a).toMatch(/^t-splits-a-ba[a-z-]*-[0-9a-f]{6}-[0-9a-f]{6}$/);
    expect(a.length).toBeLessThanOrEqual(28);
    expect(a).not.toBe(b);
  });
});

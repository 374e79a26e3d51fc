import { describe, expect, it } from "vitest";
import { resolveTracingOptions } from "./tracing.ts";

describe("resolveTracingOptions", () => {
  it("gives an explicit undefined the default, as if the key were absent", () => {
    const explicit = resolveTracingOptions({
      serviceName: "sagaworks-test",
      env: undefined,
      spanProcessors: undefined,
    });
    expect(explicit.env).toBe(process.env);
    expect(explicit.spanProcessors).toBeUndefined();
    expect(resolveTracingOptions({ serviceName: "sagaworks-test" })).toEqual(explicit);
  });

  it("stays off without an endpoint, with an empty one, or with the SDK disabled", () => {
    expect(resolveTracingOptions({ serviceName: "s", env: {} }).enabled).toBe(false);
    const empty = resolveTracingOptions({
      serviceName: "s",
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: "" },
    });
    expect(empty).toMatchObject({ enabled: false, endpoint: undefined });
    const disabled = resolveTracingOptions({
      serviceName: "s",
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "true" },
    });
    expect(disabled.enabled).toBe(false);
  });

  it("starts with an endpoint (the traces one first) or with span processors", () => {
    const both = resolveTracingOptions({
      serviceName: "s",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:4318/v1/traces",
      },
    });
    expect(both).toMatchObject({ enabled: true, endpoint: "http://b:4318/v1/traces" });
    const processors = resolveTracingOptions({ serviceName: "s", env: {}, spanProcessors: [] });
    expect(processors.enabled).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe("metrics and tracing configuration", () => {
  it("serves /metrics without a token and traces nothing by default", () => {
    expect(loadConfig({})).toMatchObject({ metrics: { enabled: true }, tracing: false });
    expect(loadConfig({}).metrics.token).toBeUndefined();
  });

  it("switches /metrics off, or on with a token", () => {
    expect(loadConfig({ SESSIONFLOW_METRICS: "off" }).metrics.enabled).toBe(false);
    expect(loadConfig({ SESSIONFLOW_METRICS_TOKEN: "0123456789abcdef" }).metrics).toEqual({ enabled: true, token: "0123456789abcdef" });
    expect(problemsOf({ SESSIONFLOW_METRICS: "yes", SESSIONFLOW_METRICS_TOKEN: "short" })).toEqual([
      "SESSIONFLOW_METRICS must be on or off",
      "SESSIONFLOW_METRICS_TOKEN must be at least 16 characters, without spaces",
    ]);
  });

  it("traces when OpenTelemetry's standard endpoint variables are set, unless the SDK is disabled", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://collector/v1/traces" }).tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "none" }).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }).tracing).toBe(true);
  });

  it("refuses what the built-in exporter cannot do, rather than failing at the first export", () => {
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_TRACES_EXPORTER: "zipkin" })).toEqual([
      "OTEL_TRACES_EXPORTER must be otlp or none",
      "OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf (the only OTLP protocol built in)",
      "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL",
    ]);
  });
});

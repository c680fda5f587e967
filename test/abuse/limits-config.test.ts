import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("connection limits from the environment", () => {
  it("have bounded defaults", () => {
    expect(loadConfig({}).connections).toEqual({
      firstBytesTimeoutMs: 10_000,
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      http2IdleTimeoutMs: 60_000,
      maxConnections: 900,
      maxConcurrentStreams: 1_000,
    });
    expect(loadConfig({}).maxHealthWatches).toBe(1_000);
  });

  it("read every setting", () => {
    const config = loadConfig({
      SESSIONFLOW_FIRST_BYTES_TIMEOUT_MS: "1000",
      SESSIONFLOW_HEADERS_TIMEOUT_MS: "2000",
      SESSIONFLOW_REQUEST_TIMEOUT_MS: "3000",
      SESSIONFLOW_KEEP_ALIVE_TIMEOUT_MS: "4000",
      SESSIONFLOW_HTTP2_IDLE_TIMEOUT_MS: "5000",
      SESSIONFLOW_MAX_CONNECTIONS: "6000",
      SESSIONFLOW_HTTP2_MAX_CONCURRENT_STREAMS: "70",
      SESSIONFLOW_MAX_HEALTH_WATCHES: "80",
    });
    expect(config.connections).toEqual({
      firstBytesTimeoutMs: 1000,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      keepAliveTimeoutMs: 4000,
      http2IdleTimeoutMs: 5000,
      maxConnections: 6000,
      maxConcurrentStreams: 70,
    });
    expect(config.maxHealthWatches).toBe(80);
  });

  it("refuse zero (no limit) and report every problem at once", () => {
    let error: unknown;
    try {
      loadConfig({ SESSIONFLOW_FIRST_BYTES_TIMEOUT_MS: "0", SESSIONFLOW_MAX_CONNECTIONS: "0", SESSIONFLOW_HTTP2_MAX_CONCURRENT_STREAMS: "x", SESSIONFLOW_MAX_HEALTH_WATCHES: "0" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["FIRST_BYTES_TIMEOUT_MS", "MAX_CONNECTIONS", "HTTP2_MAX_CONCURRENT_STREAMS", "MAX_HEALTH_WATCHES"]) expect(problems).toContain(name);
  });

  it("refuse a headers timeout longer than the request timeout", () => {
    expect(() => loadConfig({ SESSIONFLOW_HEADERS_TIMEOUT_MS: "5000", SESSIONFLOW_REQUEST_TIMEOUT_MS: "4000" })).toThrow(/HEADERS_TIMEOUT_MS must not exceed/);
  });
});

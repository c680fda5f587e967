import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("fairness limits from the environment", () => {
  it("have bounded defaults", () => {
    const config = loadConfig({});
    expect(config.callLimits).toEqual({
      tenant: { ratePerSecond: 500, burst: 1_000, maxCalls: 64 },
      client: { ratePerSecond: 5, burst: 20, maxCalls: 4 },
      maxCalls: 512,
    });
    expect(config).toMatchObject({ maxStreamsPerTenant: 10_000, maxClientStreamsPerTenant: 2_000, maxClientStreamsPerSession: 4 });
    expect(config.streamMessages).toEqual({ ratePerSecond: 2_000, burst: 10_000 });
  });

  it("read every setting", () => {
    const config = loadConfig({
      SESSIONFLOW_TENANT_CALLS_PER_SECOND: "1",
      SESSIONFLOW_TENANT_BURST: "2",
      SESSIONFLOW_MAX_CALLS_PER_TENANT: "3",
      SESSIONFLOW_CLIENT_CALLS_PER_SECOND: "4",
      SESSIONFLOW_CLIENT_BURST: "5",
      SESSIONFLOW_MAX_CALLS_PER_CLIENT: "6",
      SESSIONFLOW_MAX_CALLS: "7",
      SESSIONFLOW_MAX_CLIENT_STREAMS_PER_TENANT: "8",
      SESSIONFLOW_MAX_CLIENT_STREAMS_PER_SESSION: "9",
      SESSIONFLOW_TENANT_STREAM_MESSAGES_PER_SECOND: "10",
      SESSIONFLOW_TENANT_STREAM_MESSAGES_BURST: "11",
    });
    expect(config.callLimits).toEqual({ tenant: { ratePerSecond: 1, burst: 2, maxCalls: 3 }, client: { ratePerSecond: 4, burst: 5, maxCalls: 6 }, maxCalls: 7 });
    expect(config).toMatchObject({ maxClientStreamsPerTenant: 8, maxClientStreamsPerSession: 9, streamMessages: { ratePerSecond: 10, burst: 11 } });
  });

  it("refuse zero (no limit) and report every problem at once", () => {
    const names = [
      "TENANT_CALLS_PER_SECOND",
      "TENANT_BURST",
      "MAX_CALLS_PER_TENANT",
      "CLIENT_CALLS_PER_SECOND",
      "CLIENT_BURST",
      "MAX_CALLS_PER_CLIENT",
      "MAX_CALLS",
      "MAX_CLIENT_STREAMS_PER_TENANT",
      "MAX_CLIENT_STREAMS_PER_SESSION",
      "TENANT_STREAM_MESSAGES_PER_SECOND",
      "TENANT_STREAM_MESSAGES_BURST",
    ];
    let error: unknown;
    try {
      loadConfig(Object.fromEntries(names.map((n) => [`SESSIONFLOW_${n}`, "0"])));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    for (const name of names) expect(problems.some((p) => p.startsWith(`SESSIONFLOW_${name} `))).toBe(true);
  });
});

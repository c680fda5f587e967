import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration from the environment", () => {
  it("has working defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: "::", logLevel: "info", apiKeys: [], corsOrigins: "*", maxRequestBytes: 1048576 });
    expect(config.lifetimes).toEqual({ submissionSeconds: 600, linkSeconds: 604800, transferSeconds: 3600 });
  });

  it("opens the native gRPC port only when SESSIONFLOW_GRPC_PORT is set, and refuses a port out of range", () => {
    expect(loadConfig({}).grpcPort).toBeUndefined();
    expect(loadConfig({ SESSIONFLOW_GRPC_PORT: "9090" }).grpcPort).toBe(9090);
    expect(() => loadConfig({ SESSIONFLOW_GRPC_PORT: "70000" })).toThrow(/SESSIONFLOW_GRPC_PORT must be a whole number from 0 to 65535/);
  });

  it("reads every setting", () => {
    const sha256 = "a".repeat(64);
    const config = loadConfig({
      PORT: "9000",
      LOG_LEVEL: "warn",
      SESSIONFLOW_SESSION_LIFETIME_SECONDS: "5",
      SESSIONFLOW_WORKFLOW_LIFETIMES: '{"bank-signup":{"submissionSeconds":2}}',
      SESSIONFLOW_API_KEYS: JSON.stringify([{ id: "k1", tenant: "acme", scopes: ["sessions", "audit"], sha256 }]),
      SESSIONFLOW_CORS_ORIGINS: "https://a.example, https://b.example",
    });
    expect(config).toMatchObject({
      port: 9000,
      logLevel: "warn",
      lifetimes: { submissionSeconds: 5 },
      workflowLifetimes: { "bank-signup": { submissionSeconds: 2 } },
      apiKeys: [{ id: "k1", tenant: "acme", scopes: ["sessions", "audit"], sha256 }],
      corsOrigins: ["https://a.example", "https://b.example"],
    });
  });

  it("reports every problem at once, clearly", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "http",
        LOG_LEVEL: "loud",
        SESSIONFLOW_API_KEYS: '[{"id":"k1","tenant":"acme","scopes":["root"],"sha256":"xyz"}]',
        SESSIONFLOW_WORKFLOW_LIFETIMES: '{"w":{"forever":1}}',
        SESSIONFLOW_SESSION_LIFETIME_SECONDS: "0",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const expected of ["PORT", "LOG_LEVEL", "scopes", "sha256", "forever", "SESSIONFLOW_SESSION_LIFETIME_SECONDS"]) {
      expect(problems).toContain(expected);
    }
  });

  it("selects MongoDB when MONGODB_URI is set, with safe defaults", () => {
    expect(loadConfig({}).mongo).toBeUndefined();
    const key = { id: "k_1", tenant: "acme", scopes: ["sessions"], sha256: "a".repeat(64) };
    const secret = { SESSIONFLOW_TOKEN_SECRET: "s".repeat(32), SESSIONFLOW_API_KEYS: JSON.stringify([key]) };
    expect(() => loadConfig({ MONGODB_URI: "mongodb://db:27017" })).toThrow(/SESSIONFLOW_TOKEN_SECRET is required/);
    expect(loadConfig({ ...secret, MONGODB_URI: "mongodb://db:27017/?replicaSet=rs0" }).mongo).toEqual({
      uri: "mongodb://db:27017/?replicaSet=rs0",
      database: "sessionflow",
      writeConcern: "majority",
      maxPoolSize: 50,
      eventRetentionSeconds: 7 * 86_400,
      sessionRetentionDays: 1826,
    });
    // The polling feed is gone: asking for it is a start-up error that names the replica set.
    expect(() => loadConfig({ ...secret, MONGODB_URI: "mongodb://db:27017", SESSIONFLOW_MONGODB_FEED: "poll" })).toThrow(/no longer supported[\s\S]*replica set/);
    expect(() => loadConfig({ MONGODB_URI: "postgres://x", SESSIONFLOW_MONGODB_WRITE_CONCERN: "all" })).toThrow(/MONGODB_URI must start[\s\S]*WRITE_CONCERN/);
  });
});

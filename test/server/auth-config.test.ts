import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const secret = "s".repeat(32);

describe("token secrets from the environment", () => {
  it("read previous secrets, comma-separated, for verification only", () => {
    expect(loadConfig({}).previousTokenSecrets).toEqual([]);
    const previous = ["p".repeat(32), "q".repeat(40)];
    expect(loadConfig({ SESSIONFLOW_TOKEN_SECRET: secret, SESSIONFLOW_TOKEN_SECRETS_PREVIOUS: previous.join(",") }).previousTokenSecrets).toEqual(previous);
  });

  it("refuse previous secrets without a current one, short or padded ones, and the current one repeated", () => {
    expect(() => loadConfig({ SESSIONFLOW_TOKEN_SECRETS_PREVIOUS: "p".repeat(32) })).toThrow(/SECRETS_PREVIOUS needs SESSIONFLOW_TOKEN_SECRET/);
    expect(() => loadConfig({ SESSIONFLOW_TOKEN_SECRET: secret, SESSIONFLOW_TOKEN_SECRETS_PREVIOUS: "short" })).toThrow(/at least 32 characters/);
    expect(() => loadConfig({ SESSIONFLOW_TOKEN_SECRET: secret, SESSIONFLOW_TOKEN_SECRETS_PREVIOUS: `${"p".repeat(32)}, ${"q".repeat(32)}` })).toThrow(/without spaces/);
    expect(() => loadConfig({ SESSIONFLOW_TOKEN_SECRET: secret, SESSIONFLOW_TOKEN_SECRETS_PREVIOUS: secret })).toThrow(/must not repeat/);
    expect(() => loadConfig({ SESSIONFLOW_TOKEN_SECRET: secret, SESSIONFLOW_TOKEN_SECRETS_PREVIOUS: Array(11).fill("p".repeat(32)).join(",") })).toThrow(/at most 10/);
  });
});

describe("authentication limits from the environment", () => {
  it("have bounded defaults", () => {
    expect(loadConfig({}).auth).toEqual({
      failureBurst: 20,
      failuresPerMinute: 10,
      trackedSources: 10_000,
      trustedProxyHops: 0,
      failureLogsPerSource: 5,
      failureLogLines: 100,
      apiKeyCacheMs: 10_000,
    });
  });

  it("read every setting", () => {
    const config = loadConfig({
      SESSIONFLOW_AUTH_FAILURE_BURST: "3",
      SESSIONFLOW_AUTH_FAILURES_PER_MINUTE: "4",
      SESSIONFLOW_AUTH_TRACKED_SOURCES: "500",
      SESSIONFLOW_TRUSTED_PROXY_HOPS: "2",
      SESSIONFLOW_AUTH_FAILURE_LOGS_PER_SOURCE: "1",
      SESSIONFLOW_AUTH_FAILURE_LOGS_PER_MINUTE: "7",
      SESSIONFLOW_API_KEY_CACHE_SECONDS: "0",
    });
    expect(config.auth).toEqual({ failureBurst: 3, failuresPerMinute: 4, trackedSources: 500, trustedProxyHops: 2, failureLogsPerSource: 1, failureLogLines: 7, apiKeyCacheMs: 0 });
  });

  it("refuse no back-off, unbounded memory and a key cache longer than five minutes", () => {
    let error: unknown;
    try {
      loadConfig({ SESSIONFLOW_AUTH_FAILURE_BURST: "0", SESSIONFLOW_AUTH_TRACKED_SOURCES: "0", SESSIONFLOW_TRUSTED_PROXY_HOPS: "x", SESSIONFLOW_API_KEY_CACHE_SECONDS: "301" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["AUTH_FAILURE_BURST", "AUTH_TRACKED_SOURCES", "TRUSTED_PROXY_HOPS", "API_KEY_CACHE_SECONDS"]) expect(problems).toContain(name);
  });
});

describe("API keys from the environment", () => {
  const key = { id: "k_1", tenant: "acme", scopes: ["sessions"], sha256: "a".repeat(64) };
  const mongo = { MONGODB_URI: "mongodb://db:27017/?replicaSet=rs0", SESSIONFLOW_TOKEN_SECRET: secret };

  it("are required with MongoDB, where they are the set of valid keys", () => {
    expect(() => loadConfig(mongo)).toThrow(/SESSIONFLOW_API_KEYS is required with MONGODB_URI/);
    expect(loadConfig({ ...mongo, SESSIONFLOW_API_KEYS: JSON.stringify([key]) }).apiKeys).toEqual([key]);
    expect(loadConfig({}).apiKeys).toEqual([]);
  });

  it("may not list one key twice", () => {
    expect(() => loadConfig({ SESSIONFLOW_API_KEYS: JSON.stringify([key, { ...key, id: "k_2" }]) })).toThrow(/SESSIONFLOW_API_KEYS\[1\]\.sha256 repeats an earlier key/);
  });
});

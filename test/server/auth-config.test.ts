import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

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

import { Code, createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { callMethod } from "./any-call.js";
import { apiMethods, fieldPaths, validRequest, type Fixture } from "./requests.js";

const lists = ["denyEmails", "denyPhones", "denyDomains", "denyDeviceIds", "allowEmails", "allowPhones", "allowDomains", "allowDeviceIds"] as const;

/** Every field is range-checked before anything changes (issue 10): durations, markets, sizes, times. */
describe("ranges and sizes", () => {
  let server: TestServer;
  let transport: Transport;
  let fixture: Fixture;
  beforeAll(async () => {
    server = await startTestServer();
    transport = transportFor("connect-binary-h1", server.baseUrl, server.keys.acme);
    const { session } = await createClient(SubmissionService, transport).submit({ workflow: "bank-signup" });
    fixture = { sessionId: session!.id };
  });
  afterAll(() => server.close());

  const sessionCount = async () => (await server.store.sessions.list("acme", { limit: 10_000 })).length;
  const configVersion = async () => (await server.store.configurations.current("acme"))?.version ?? 0;

  it.each([
    ["nanos of a whole second", { seconds: 60n, nanos: 1_000_000_000 }],
    ["nanos that make up seconds", { seconds: 59n, nanos: 2_000_000_000 }],
    ["negative nanos", { seconds: 600n, nanos: -1 }],
    ["negative seconds", { seconds: -1n, nanos: 0 }],
    ["negative seconds made up by nanos", { seconds: -1n, nanos: 2_100_000_000 }],
    ["more than the workflow's longest lifetime", { seconds: 7n * 24n * 3600n + 1n, nanos: 0 }],
    ["more seconds than a Duration holds", { seconds: 315_576_000_001n, nanos: 0 }],
    ["less than a minute", { seconds: 59n, nanos: 999_999_999 }],
  ])("CreateSession refuses a lifetime with %s and creates nothing", async (_name, lifetime) => {
    const before = await sessionCount();
    const outcome = await callMethod(transport, SessionService.method.createSession, { workflow: "bank-signup", lifetime });
    expect({ code: outcome.code, fields: outcome.fields }).toEqual({ code: Code.InvalidArgument, fields: ["lifetime"] });
    expect(await sessionCount()).toBe(before);
  });

  it("CreateSession accepts a lifetime from a minute to the workflow's longest, fractions included", async () => {
    for (const lifetime of [{ seconds: 60n, nanos: 0 }, { seconds: 3600n, nanos: 500_000_000 }, { seconds: 7n * 24n * 3600n, nanos: 0 }]) {
      expect((await callMethod(transport, SessionService.method.createSession, { workflow: "bank-signup", lifetime })).code).toBe(0);
    }
  });

  it("UpdateThresholds refuses a market GetThresholds would refuse, and changes nothing", async () => {
    const before = await configVersion();
    for (const market of ["XX", "QQ", "gb", "G", "GBR"]) {
      const update = await callMethod(transport, ConfigurationService.method.updateThresholds, {
        expectedVersion: BigInt(before), reason: "r", marketOverrides: { [market]: { review: 0.5 } },
      });
      expect({ market, code: update.code, fields: update.fields }).toEqual({ market, code: Code.InvalidArgument, fields: ["market_overrides"] });
      expect((await callMethod(transport, ConfigurationService.method.getThresholds, { market })).code).toBe(Code.InvalidArgument);
    }
    expect(await configVersion()).toBe(before);
    const ok = await callMethod(transport, ConfigurationService.method.updateThresholds, { expectedVersion: BigInt(before), reason: "r", marketOverrides: { GB: { review: 0.5 } } });
    expect(ok.code).toBe(0);
  });

  it("UpdateThresholds caps every list at 1,000 entries of 1 to 254 characters, and a revision's lists at 256 KiB", async () => {
    const update = (l: Record<string, string[]>) =>
      configVersion().then((v) => callMethod(transport, ConfigurationService.method.updateThresholds, { expectedVersion: BigInt(v), reason: "r", lists: l }));
    for (const name of lists) {
      const before = await configVersion();
      expect((await update({ [name]: Array.from({ length: 1001 }, (_, i) => `e${i}@x.example`) })).code, name).toBe(Code.InvalidArgument);
      expect((await update({ [name]: ["x".repeat(255)] })).code, name).toBe(Code.InvalidArgument);
      expect((await update({ [name]: [""] })).code, name).toBe(Code.InvalidArgument);
      expect(await configVersion()).toBe(before);
    }
    // Each list within its cap, all of them together over the revision's.
    const big = Object.fromEntries(lists.map((name) => [name, Array.from({ length: 1000 }, (_, i) => `${"x".repeat(30)}${i}@example.com`)]));
    const refused = await update(big);
    expect({ code: refused.code, fields: refused.fields }).toEqual({ code: Code.InvalidArgument, fields: ["lists"] });
    expect((await update({ denyEmails: Array.from({ length: 1000 }, (_, i) => `e${i}@x.example`) })).code).toBe(0);
  });

  it("caps every string of every request", async () => {
    for (const method of apiMethods) {
      for (const { path, field, set } of fieldPaths(method.input)) {
        const isString = (field.fieldKind === "scalar" || field.fieldKind === "list") && field.scalar === 9;
        const isKey = field.fieldKind === "map";
        if (!isString && !isKey) continue;
        const request = validRequest(method, fixture);
        set(request, "a".repeat(100_000));
        const outcome = await callMethod(transport, method, request);
        expect({ rpc: `${method.name}.${path}`, code: outcome.code }).toEqual({ rpc: `${method.name}.${path}`, code: Code.InvalidArgument });
      }
    }
  });

  it("caps every repeated field of every request", async () => {
    for (const method of apiMethods) {
      for (const { path, field, put } of fieldPaths(method.input)) {
        if (field.fieldKind !== "list") continue;
        const request = validRequest(method, fixture);
        // 5,000 valid entries: the first value of an enum that is not UNSPECIFIED, or a short word.
        put(request, Array(5000).fill(field.listKind === "enum" ? field.enum.values[1]!.number : "ok"));
        const outcome = await callMethod(transport, method, request);
        expect({ rpc: `${method.name}.${path}`, code: outcome.code }).toEqual({ rpc: `${method.name}.${path}`, code: Code.InvalidArgument });
      }
    }
  });

  it("lists at most 50 violations in one error, however many fields are wrong", async () => {
    const outcome = await callMethod(transport, ConfigurationService.method.updateThresholds, {
      expectedVersion: 0n, reason: "r", lists: { denyEmails: Array(900).fill("\u0007") },
    });
    expect(outcome.code).toBe(Code.InvalidArgument);
    expect(outcome.fields.length).toBeLessThanOrEqual(50);
    expect(outcome.error!.rawMessage.length).toBeLessThan(2_000);
  });

  it.each([
    ["seconds past year 9999", { seconds: 253_402_300_800n, nanos: 0 }],
    ["seconds before year 1", { seconds: -62_135_596_801n, nanos: 0 }],
    ["negative nanos", { seconds: 1_700_000_000n, nanos: -1 }],
    ["nanos of a whole second", { seconds: 1_700_000_000n, nanos: 1_000_000_000 }],
  ])("refuses timestamps with %s in ListSessions and billing", async (_name, ts) => {
    const later = { seconds: 1_800_000_000n, nanos: 0 };
    const earlier = { seconds: 1_600_000_000n, nanos: 0 };
    const cases = [
      [SessionService.method.listSessions, { createTimeStart: ts }, "create_time_start"],
      [SessionService.method.listSessions, { createTimeEnd: ts }, "create_time_end"],
      [BillingService.method.listBillableEvents, { startTime: ts, endTime: later }, "start_time"],
      [BillingService.method.listBillableEvents, { startTime: earlier, endTime: ts }, "end_time"],
      [BillingService.method.getUsage, { startTime: ts, endTime: later }, "start_time"],
      [BillingService.method.getUsage, { startTime: earlier, endTime: ts }, "end_time"],
    ] as const;
    for (const [method, request, field] of cases) {
      const outcome = await callMethod(transport, method, request);
      expect({ rpc: method.name, field, code: outcome.code }).toEqual({ rpc: method.name, field, code: Code.InvalidArgument });
      expect(outcome.fields).toContain(field);
    }
  });

  it("refuses a ListSessions range that ends before it starts", async () => {
    const outcome = await callMethod(transport, SessionService.method.listSessions, { createTimeStart: { seconds: 1_800_000_000n }, createTimeEnd: { seconds: 1_700_000_000n } });
    expect({ code: outcome.code, fields: outcome.fields }).toEqual({ code: Code.InvalidArgument, fields: ["create_time_end"] });
  });
});

import { describe, expect, it } from "vitest";
import { defaultDisposableDomains } from "../../src/domain/analyzers.js";
import { elementsOf } from "../../src/domain/identity-graph.js";
import { listHits } from "../../src/domain/list-rules.js";
import { assessRisk } from "../../src/domain/risk.js";
import type { DeviceSignals, Identity } from "../../src/domain/session.js";
import { defaultThresholds, emptyLists, type TenantLists } from "../../src/domain/thresholds.js";

const hits = (lists: Partial<TenantLists>, identity: Identity, market = "GB", device?: DeviceSignals) =>
  listHits({ ...emptyLists(), ...lists }, elementsOf(identity, device, market), market);

describe("tenant lists", () => {
  it.each([
    ["a denied domain covers its subdomains", { denyDomains: ["acme.com"] }, { email: "x@uk.acme.com" }, ["deny:domain"]],
    ["an allowed domain covers only itself", { allowDomains: ["acme.com"] }, { email: "x@uk.acme.com" }, []],
    ["an allowed domain in another form", { allowDomains: ["ACME.com."] }, { email: "x@ａｃｍｅ.com" }, ["allow:domain"]],
    ["an email is not a domain rule: a subdomain is another mailbox", { denyEmails: ["x@acme.com"] }, { email: "x@uk.acme.com" }, []],
    ["a national-form phone entry, in its market", { denyPhones: ["07700 900123"] }, { phone: "+44 7700 900123" }, ["deny:phone"]],
    ["an international entry, in any market", { denyPhones: ["+44 7700 900123"] }, { phone: "0044 7700 900123" }, ["deny:phone"]],
    ["entries that normalize to nothing are ignored", { denyEmails: ["", "\u200B"], denyPhones: ["ab"], denyDomains: ["", "*"] }, { email: "x@acme.com", phone: "+44 7700 900123" }, []],
    ["each list in order, deny before allow", { denyEmails: ["x@acme.com"], allowEmails: ["X@ACME.COM"], allowPhones: ["07700900123"] }, { email: "x@acme.com", phone: "07700 900123" }, ["deny:email", "allow:email", "allow:phone"]],
  ])("%s", (_name, lists, identity, expected) => {
    expect(hits(lists, identity)).toEqual(expected);
  });

  it("reads a national-form phone entry with the session's market as its region", () => {
    expect(hits({ denyPhones: ["07700 900123"] }, { phone: "+44 7700 900123" }, "US")).toEqual([]);
    expect(hits({ denyPhones: ["(202) 555-0123"] }, { phone: "+1 202 555 0123" }, "US")).toEqual(["deny:phone"]);
  });

  it("compares device ids exactly: they are opaque", () => {
    expect(hits({ denyDeviceIds: ["Device-1"] }, {}, "GB", { deviceId: "Device-1", automationFlags: [] })).toEqual(["deny:device"]);
    expect(hits({ denyDeviceIds: ["Device-1"] }, {}, "GB", { deviceId: "device-1", automationFlags: [] })).toEqual([]);
  });

  it("a deny wins over an allow of the same session", () => {
    const r = assessRisk({
      identity: { email: "x@uk.acme.com" },
      market: "GB",
      sessionId: "s",
      links: [],
      lists: { ...emptyLists(), denyDomains: ["uk.acme.com"], allowDomains: ["uk.acme.com"] },
      thresholds: defaultThresholds,
      configurationVersion: 1,
      disposableDomains: defaultDisposableDomains,
      now: new Date(),
    });
    expect(r.lists).toEqual(["deny:domain", "allow:domain"]);
    expect(r).toMatchObject({ accountScore: 1, label: "FAKE" });
  });
});

import { describe, expect, it } from "vitest";
import type { DomainError } from "../../src/domain/errors.js";
import { sessionLimits } from "../../src/domain/limits.js";
import { createDomainHarness } from "../support/domain-harness.js";

/** Every list a call can grow has a cap, refused with RESOURCE_EXHAUSTED / SESSION_FULL, changing nothing. */
describe("session limits", () => {
  it("caps links issued for one session", async () => {
    const h = createDomainHarness();
    const { session } = await h.links.create(h.ctx(), { workflow: "kyc", market: "", reference: "" });
    for (let i = 1; i < sessionLimits.links; i++) await h.links.issueLink(h.ctx(), session.id);
    const before = (await h.store.sessions.get("acme", session.id))!;
    await expect(h.links.issueLink(h.ctx(), session.id)).rejects.toMatchObject({ reason: "SESSION_FULL", status: "resource-exhausted", metadata: { limit: "links", max: String(sessionLimits.links) } });
    expect((await h.store.sessions.get("acme", session.id))!.version).toBe(before.version);
  });

  it("caps check results, even from a client token's retries", async () => {
    const h = createDomainHarness();
    const { session } = await h.sessions.submit(h.submit());
    for (let i = 0; i < sessionLimits.checks; i++) await h.decisions.reportCheck(h.ctx(), session.id, "DOCUMENT", 0.99, "sdk");
    await expect(h.decisions.reportCheck(h.ctx(), session.id, "DOCUMENT", 0.99, "sdk")).rejects.toMatchObject({ reason: "SESSION_FULL", metadata: { limit: "checks" } });
    expect((await h.store.sessions.get("acme", session.id))!.checks).toHaveLength(sessionLimits.checks);
  });

  it("caps audited requests of any kind (AuthenticateSession here), and still lets the service close the session", async () => {
    const h = createDomainHarness();
    const { session } = await h.sessions.submit(h.submit());
    for (let i = 1; i < sessionLimits.auditRecords; i++) await h.decisions.authenticate(h.ctx(), session.id, "acct-1");
    await expect(h.decisions.authenticate(h.ctx(), session.id, "acct-1")).rejects.toMatchObject({ reason: "SESSION_FULL", metadata: { limit: "audit records" } });
    expect((await h.store.sessions.get("acme", session.id))!.audit).toHaveLength(sessionLimits.auditRecords);
    h.clock.advance(31_000);
    expect(await h.sessions.sweepExpired(10)).toBe(1);
    expect((await h.store.sessions.get("acme", session.id))!.outcome?.failureReason).toBe("ABANDONED");
  });

  it("caps submissions", async () => {
    const h = createDomainHarness();
    const { session } = await h.sessions.submit(h.submit());
    for (let i = 1; i < sessionLimits.submissions; i++) await h.sessions.submit(h.submit({ sessionId: session.id }));
    await expect(h.sessions.submit(h.submit({ sessionId: session.id }))).rejects.toMatchObject({ reason: "SESSION_FULL", metadata: { limit: "submissions" } });
  });
});

describe("configuration list entries", () => {
  it("refuses entries that could never match, naming the field and not the value", async () => {
    const h = createDomainHarness();
    const lists = { denyEmails: ["no-domain-here"], denyPhones: ["call me"], denyDomains: ["not a domain!"], denyDeviceIds: [], allowEmails: [], allowPhones: [], allowDomains: [], allowDeviceIds: [] };
    const refused = h.decisions.updateConfig({ tenantId: "acme", principal: "key:k" }, 0, "tighten", { values: {}, marketOverrides: {}, lists });
    await expect(refused).rejects.toMatchObject({ reason: "INVALID_REQUEST" });
    const error = (await refused.then(
      () => undefined,
      (e: unknown) => e,
    )) as DomainError;
    expect(error.violations.map((v) => v.field).sort()).toEqual(["lists.deny_domains[0]", "lists.deny_emails[0]", "lists.deny_phones[0]"]);
    expect(JSON.stringify(error)).not.toContain("no-domain-here");
    expect(await h.store.configurations.current("acme")).toBeUndefined();
  });
});

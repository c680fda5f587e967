import { BSON } from "mongodb";
import { describe, expect, it } from "vitest";
import { sessionLimits } from "../../src/domain/limits.js";
import { toSessionDoc } from "../../src/store/mongo/documents.js";
import { createDomainHarness } from "../support/domain-harness.js";

/** The worst-case session document the README promises, well below MongoDB's 16 MiB. */
export const documentBudgetBytes = 6 * 1024 * 1024;

// Three-byte UTF-8 characters at every length limit the service validates (see src/service).
const wide = (n: number) => "語".repeat(n);
const ascii = (n: number) => "9".repeat(n);

describe("the largest session document", () => {
  it(`stays under ${documentBudgetBytes / 1024 / 1024} MiB with every list at its cap and every value at its largest`, async () => {
    const h = createDomainHarness();
    const fat = {
      workflow: "w".repeat(64),
      step: wide(64),
      identity: {
        fullName: wide(200),
        email: `${wide(249)}@x.io`,
        phone: ascii(32),
        dateOfBirth: "1990-01-01",
        address: { lines: Array.from({ length: 5 }, () => wide(200)), locality: wide(100), administrativeArea: wide(100), postalCode: wide(20), regionCode: "GB" },
      },
      device: { deviceId: wide(128), ipAddress: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", userAgent: wide(512), automationFlags: Array.from({ length: 16 }, () => wide(64)) },
    };
    const { session } = await h.sessions.submit(h.submit(fat));
    const id = session.id;
    for (let i = 1; i < sessionLimits.submissions; i++) await h.sessions.submit(h.submit({ ...fat, sessionId: id }));
    for (let i = 0; i < sessionLimits.checks; i++) await h.decisions.reportCheck(h.ctx({ principal: `client:${"p".repeat(60)}` }), id, "DOCUMENT", 0.99, "v".repeat(64));
    for (let i = 1; i < sessionLimits.links; i++) await h.links.issueLink(h.ctx(), id);
    const account = "a".repeat(128);
    let stored = (await h.store.sessions.get("acme", id))!;
    while (stored.audit.length < sessionLimits.auditRecords) {
      await h.decisions.authenticate(h.ctx(), id, account);
      stored = (await h.store.sessions.get("acme", id))!;
    }
    await expect(h.decisions.authenticate(h.ctx(), id, account)).rejects.toMatchObject({ reason: "SESSION_FULL" });
    h.clock.advance(31_000);
    await h.sessions.sweepExpired(10); // the service's own closing write, past the request caps
    stored = (await h.store.sessions.get("acme", id))!;
    expect(stored.submissions).toHaveLength(sessionLimits.submissions);
    expect(stored.checks).toHaveLength(sessionLimits.checks);
    expect(stored.state).toBe("FAILED");

    const bytes = BSON.calculateObjectSize(toSessionDoc(stored, 1000));
    console.info(`worst-case session document: ${(bytes / 1024 / 1024).toFixed(2)} MiB, ${stored.events.length} events, ${stored.audit.length} audit records`);
    expect(bytes).toBeLessThan(documentBudgetBytes);
  }, 30_000);
});

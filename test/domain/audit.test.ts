import { describe, expect, it } from "vitest";
import { appendAudit, genesisHash, verifyAuditChain, type AuditEntry } from "../../src/domain/audit.js";

const entry = (n: number): AuditEntry => ({
  recordTime: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
  requestId: `r${n}`,
  fingerprint: `f${n}`,
  procedure: "/sessionflow.v1.SubmissionService/Submit",
  principal: "key:k_1",
  provided: { identity: { email: `user${n}@example.com` } },
  returned: { disposition: "CONTINUED" },
});

describe("audit hash chain", () => {
  const trail = [1, 2, 3].reduce((t, n) => appendAudit(t, entry(n)), appendAudit([], entry(0)));

  it("links each record to its predecessor and verifies", () => {
    expect(trail.map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
    expect(trail[0]!.previousHash).toBe(genesisHash);
    expect(trail[2]!.previousHash).toBe(trail[1]!.hash);
    expect(trail.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(verifyAuditChain(trail)).toBe(true);
    expect(verifyAuditChain([])).toBe(true);
  });

  it("detects an edited record, a dropped record and reordering", () => {
    const edited = trail.map((r, i) => (i === 1 ? { ...r, provided: { identity: { email: "mallory@example.com" } } } : r));
    expect(verifyAuditChain(edited)).toBe(false);
    expect(verifyAuditChain([trail[0]!, trail[2]!, trail[3]!])).toBe(false);
    expect(verifyAuditChain([trail[1]!, trail[0]!, trail[2]!, trail[3]!])).toBe(false);
    const rehashedAlone = trail.map((r, i) => (i === 3 ? { ...r, returned: { disposition: "CREATED" } } : r));
    expect(verifyAuditChain(rehashedAlone)).toBe(false);
  });

  it("survives a structured clone, as a store round trip does", () => {
    expect(verifyAuditChain(structuredClone(trail))).toBe(true);
  });
});

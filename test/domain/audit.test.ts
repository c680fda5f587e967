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

describe("audit hashes of stored trails", () => {
  it("stay what they were: the canonical form and the chain never change", () => {
    const entry = (i: number) => ({
      recordTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      requestId: `r${i}`,
      fingerprint: "f".repeat(64),
      procedure: "/sessionflow.v1.SubmissionService/Submit",
      principal: "key:k1",
      provided: {
        sessionId: "s1",
        workflow: "bank-signup",
        market: "GB",
        identity: { fullName: "Zoë", email: "z@example.com", address: { lines: ["1 A St"], locality: "Oxford", administrativeArea: "", postalCode: "OX1", regionCode: "GB" } },
        device: { deviceId: "d1", automationFlags: ["a"] },
        step: "s",
        complete: i === 2,
        none: undefined,
      },
      returned: { sessionId: "s1", state: "OPEN", version: i + 1, disposition: "CONTINUED" },
    });
    let trail = appendAudit([], entry(0));
    trail = appendAudit(trail, entry(1));
    trail = appendAudit(trail, entry(2));
    // Computed by the implementation trails were first stored with.
    expect(trail.map((r) => r.hash)).toEqual([
      "49bfdb7e3ef69f40eac3de6b8ca6f903388ce7f6d2772c64b6b52245b35098cd",
      "9dbaf60edf17c426b614ba0a2b66406539e9c5ae03ff7452aeea91d746bffb3a",
      "3be248a7efc6d1cc3645c45b78e0578b9f7adddb5f047693e3d851fc41b6ee32",
    ]);
    expect(verifyAuditChain(trail)).toBe(true);
    expect(trail.every((r) => "hash" in r && Object.keys(r).at(-1) === "hash")).toBe(true);
  });
});

import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { AuditRecord, Session } from "./session.js";

export const genesisHash = "0".repeat(64);

export type AuditEntry = Omit<AuditRecord, "sequence" | "previousHash" | "hash">;

/** The content a record's hash covers: everything but the hash itself. */
function contentOf(record: Omit<AuditRecord, "hash">): string {
  return canonicalJson(record);
}

/** Appends a record linked to the session's last one; returns the new trail. */
export function appendAudit(trail: readonly AuditRecord[], entry: AuditEntry): AuditRecord[] {
  return [...trail, signAudit({ ...entry, sequence: trail.length + 1, previousHash: lastAuditHash(trail), hash: undefined })];
}

/** The hash the next record of the trail links to. */
export function lastAuditHash(trail: readonly AuditRecord[]): string {
  return trail.at(-1)?.hash ?? genesisHash;
}

/**
 * Sets the hash of a record already numbered and linked. It is made with its hash undefined,
 * which the canonical form leaves out, so the content hashed is the record itself: no second
 * copy of it that only lacks the hash.
 */
export function signAudit(record: Omit<AuditRecord, "hash"> & { hash: string | undefined }): AuditRecord {
  record.hash = sha256Hex(record.previousHash + contentOf(record));
  return record as AuditRecord;
}

/** True when every record's hash recomputes and links to its predecessor, in sequence. */
export function verifyAuditChain(trail: readonly AuditRecord[]): boolean {
  let previousHash = genesisHash;
  for (const [i, record] of trail.entries()) {
    const { hash, ...unsigned } = record;
    if (record.sequence !== i + 1 || record.previousHash !== previousHash) return false;
    if (sha256Hex(previousHash + contentOf(unsigned)) !== hash) return false;
    previousHash = hash;
  }
  return true;
}

export function findAuditByRequest(session: Session, requestId: string): AuditRecord | undefined {
  return session.audit.find((r) => r.requestId === requestId);
}

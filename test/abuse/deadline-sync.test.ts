import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import { syncToParent } from "../../src/domain/transfer-sync.js";

describe("a transferred session's sync to its parent", () => {
  it("keeps a parent's refusal to itself, but lets a passed deadline stop the call", async () => {
    await expect(syncToParent(async () => Promise.reject(new DomainError("SESSION_CLOSED", "closed")))).resolves.toBeUndefined();
    // Swallowed, the call would answer OK with the parent never told.
    await expect(syncToParent(async () => Promise.reject(new DomainError("DEADLINE_EXCEEDED", "late")))).rejects.toMatchObject({ reason: "DEADLINE_EXCEEDED" });
  });
});

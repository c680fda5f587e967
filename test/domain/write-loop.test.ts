import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import type { Session } from "../../src/domain/session.js";
import type { SessionRepository } from "../../src/domain/session-repository.js";
import { createWriteLoop } from "../../src/domain/write-loop.js";

/** A repository whose cache holds an older version than the store, as another replica's write leaves it. */
function staleRepository(stale: Session, current: Session) {
  const reads: string[] = [];
  const repo = {
    async getForUpdate() {
      reads.push("cache");
      return { session: stale, fresh: false };
    },
    async get() {
      reads.push("store");
      return current;
    },
  } as unknown as SessionRepository;
  return { repo, reads };
}

const at = (version: number) => ({ id: "s", tenantId: "t", version }) as Session;
const refuseOld = async (s: Session | undefined) => {
  if (s!.version < 2) throw new DomainError("SCREEN_NOT_PRESENTED", "the warning screen is not the one presented now");
  return { done: s!.version };
};

describe("the write loop", () => {
  it("does not pass on a refusal decided on a cached copy; it decides again on a fresh read", async () => {
    const { repo, reads } = staleRepository(at(1), at(2));
    await expect(createWriteLoop(repo)("t", "s", refuseOld)).resolves.toBe(2);
    expect(reads).toEqual(["cache", "store"]);
  });

  it("passes on a refusal that a fresh read confirms", async () => {
    const { repo, reads } = staleRepository(at(1), at(1));
    await expect(createWriteLoop(repo)("t", "s", refuseOld)).rejects.toMatchObject({ reason: "SCREEN_NOT_PRESENTED" });
    expect(reads).toEqual(["cache", "store"]);
  });

  it("reads fresh after a lost race, and gives up with CONCURRENT_MODIFICATION", async () => {
    const { repo, reads } = staleRepository(at(1), at(1));
    await expect(createWriteLoop(repo)("t", "s", async () => ({ next: "s" }))).rejects.toMatchObject({ reason: "CONCURRENT_MODIFICATION" });
    expect(reads[0]).toBe("cache");
    expect(reads.slice(1).every((r) => r === "store")).toBe(true);
  });
});

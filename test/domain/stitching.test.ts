import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import { mergeIdentity, type Session } from "../../src/domain/session.js";
import { applySubmission, createSession, resolveSubmission, sealChange, submissionRequest, type SubmitCommand } from "../../src/domain/stitching.js";

const clock = createManualClock(new Date("2026-05-01T12:00:00Z"));

function command(overrides: Partial<SubmitCommand> = {}): SubmitCommand {
  return {
    tenantId: "acme",
    principal: "key:k_test",
    procedure: "/sessionflow.v1.SubmissionService/Submit",
    workflow: "bank-signup",
    market: "",
    requestId: "7d0c2c8e-63a4-4b8e-9a3f-1f6d2b1c0e11",
    clientRequestId: true,
    fingerprint: "f1",
    identity: { fullName: "Alice Liddell" },
    step: "signup-start",
    complete: false,
    ...overrides,
  };
}

function openSession(overrides: Partial<Session> = {}): Session {
  const base = createSession(
    { tenantId: "acme", id: "0197f665-6c88-7512-bc33-a7605d487377", workflow: "bank-signup", market: "", origin: "SUBMISSION", policy: defaultLifetimePolicy },
    clock.now(),
  );
  const submitted = sealChange(applySubmission(base, command(), clock.now()), submissionRequest(command()), { disposition: "CREATED" }, clock.now());
  return { ...submitted, ...overrides };
}

describe("resolveSubmission (SPEC §1 table)", () => {
  const now = clock.now();
  const later = (ms: number) => new Date(now.getTime() + ms);
  const tenMinutes = 10 * 60 * 1000;

  it.each([
    ["unknown id", undefined, command({ requestId: "r2" }), now, "replace-unknown"],
    ["open, same workflow, not expired", openSession(), command({ requestId: "r2" }), later(tenMinutes - 1), "continue"],
    ["expired exactly at expire time", openSession(), command({ requestId: "r2" }), later(tenMinutes), "replace-expired"],
    ["expired and closed", openSession({ state: "RESOLVED" }), command({ requestId: "r2" }), later(tenMinutes), "replace-expired"],
    ["a retry of an earlier request", openSession(), command(), later(1000), "replay"],
    ["a retry even after expiry", openSession(), command(), later(tenMinutes * 3), "replay"],
    ["a retry after input completed", openSession({ inputComplete: true, state: "WARNING" }), command(), now, "replay"],
  ] as const)("%s -> %s", (_name, existing, cmd, at, kind) => {
    expect(resolveSubmission(existing, cmd, at).kind).toBe(kind);
  });

  it.each([
    ["closed (resolved), not expired", openSession({ state: "RESOLVED" }), command({ requestId: "r2" }), "SESSION_CLOSED"],
    ["closed (failed), not expired", openSession({ state: "FAILED" }), command({ requestId: "r2" }), "SESSION_CLOSED"],
    ["another workflow", openSession(), command({ requestId: "r2", workflow: "card-payment" }), "SESSION_WORKFLOW_MISMATCH"],
    ["another workflow, even expired", openSession({ expireTime: now }), command({ requestId: "r2", workflow: "x" }), "SESSION_WORKFLOW_MISMATCH"],
    ["same request id, different request", openSession(), command({ fingerprint: "f2" }), "IDEMPOTENCY_KEY_REUSED"],
    ["input already complete", openSession({ inputComplete: true, state: "WARNING" }), command({ requestId: "r2" }), "INPUT_COMPLETE"],
  ] as const)("%s is refused with %s", (_name, existing, cmd, reason) => {
    const refusal = (() => {
      try {
        resolveSubmission(existing, cmd, now);
      } catch (e) {
        return e;
      }
    })();
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ reason, status: "failed-precondition" });
  });

  it("ignores a server-assigned request id when looking for retries", () => {
    expect(resolveSubmission(openSession(), command({ clientRequestId: false }), now).kind).toBe("continue");
  });
});

describe("createSession", () => {
  it("fixes the expiry from creation by origin policy", () => {
    const now = clock.now();
    const make = (origin: "SUBMISSION" | "LINK" | "TRANSFER") =>
      createSession({ tenantId: "t", id: "i", workflow: "w", market: "", origin, policy: defaultLifetimePolicy }, now).expireTime.getTime() - now.getTime();
    expect(make("SUBMISSION")).toBe(600_000);
    expect(make("LINK")).toBe(7 * 24 * 3600_000);
    expect(make("TRANSFER")).toBe(3600_000);
  });
});

describe("applySubmission", () => {
  it("keeps every submission in order, merges identity and advances the version", () => {
    const first = openSession();
    const cmd2 = command({ requestId: "r2", identity: { phone: "+447700900123" }, step: "phone" });
    const second = sealChange(applySubmission(first, cmd2, clock.now()), submissionRequest(cmd2), { disposition: "CONTINUED" }, clock.now());
    expect(second.submissions.map((s) => s.step)).toEqual(["signup-start", "phone"]);
    expect(second.identity).toEqual({ fullName: "Alice Liddell", phone: "+447700900123" });
    expect(second.version).toBe(first.version + 1);
    expect(second.audit).toHaveLength(2);
    expect(second.audit[1]!.returned).toMatchObject({ disposition: "CONTINUED", state: "OPEN" });
    expect(second.events.map((e) => e.type)).toEqual(["OPENED", "SUBMISSION", "SUBMISSION"]);
    expect(first.submissions).toHaveLength(1); // the input aggregate is untouched
  });

  it("keeps the last step when a submission names none", () => {
    const next = applySubmission(openSession(), command({ requestId: "r2", step: "" }), clock.now());
    expect(next.currentStep).toBe("signup-start");
  });
});

describe("mergeIdentity", () => {
  it("lets later non-empty values win and replaces the address whole", () => {
    const a1 = { lines: ["1 A St"], locality: "Oxford", administrativeArea: "", postalCode: "OX1", regionCode: "GB" };
    const a2 = { lines: ["2 B St"], locality: "Leeds", administrativeArea: "", postalCode: "", regionCode: "GB" };
    expect(mergeIdentity({ fullName: "A", email: "a@x.io", address: a1 }, { email: "", fullName: "B", address: a2 })).toEqual({
      fullName: "B",
      email: "a@x.io",
      address: a2,
    });
  });
});

describe("mergeIdentity keeps what did not change", () => {
  it("returns the session's identity itself when a submission repeats it, and a new one otherwise", () => {
    const address = { lines: ["1 A St"], locality: "Oxford", administrativeArea: "", postalCode: "OX1", regionCode: "GB" };
    const base = { fullName: "A", email: "a@x.io", address };
    expect(mergeIdentity(base, { fullName: "A", email: "", address: { ...address, lines: ["1 A St"] } })).toBe(base);
    expect(mergeIdentity(base, {})).toBe(base);
    const moved = mergeIdentity(base, { address: { ...address, lines: ["1 A St", "Flat 2"] } });
    expect(moved).not.toBe(base);
    expect(moved.address!.lines).toEqual(["1 A St", "Flat 2"]);
    expect(base.address.lines).toEqual(["1 A St"]);
    expect(mergeIdentity(base, { phone: "+44" })).toEqual({ ...base, phone: "+44" });
  });
});

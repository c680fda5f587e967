import { describe, expect, it } from "vitest";
import { elementsOf } from "../../src/domain/identity-graph.js";
import { frozenCopy } from "../../src/store/freeze.js";

describe("elementsOf's reuse of a frozen identity's elements", () => {
  const identity = { fullName: "Zoë  Liddell", email: "ZOE@Example.com", phone: "07700 900123" };

  it("gives what a fresh computation gives, for each market and device", () => {
    const frozen = frozenCopy(identity);
    for (let i = 0; i < 2; i++) {
      expect(elementsOf(frozen, undefined, "GB")).toEqual(elementsOf({ ...identity }, undefined, "GB"));
      expect(elementsOf(frozen, undefined, "US")).toEqual(elementsOf({ ...identity }, undefined, "US"));
      expect(elementsOf(frozen, { deviceId: "d1", automationFlags: [] }, "GB")).toEqual({ ...elementsOf({ ...identity }, undefined, "GB"), device: "d1" });
    }
    expect(elementsOf(frozen, undefined, "GB").phone).toBe("+447700900123");
    expect(elementsOf(frozen, undefined, "US").phone).not.toBe("+447700900123");
  });

  it("never answers for an identity that can still change", () => {
    const open = { ...identity };
    expect(elementsOf(open, undefined, "GB").email).toBe("zoe@example.com");
    open.email = "bob@example.com";
    expect(elementsOf(open, undefined, "GB").email).toBe("bob@example.com");
    // Frozen on top but not below: its address could still change.
    const address = { lines: ["1 A St"], locality: "", administrativeArea: "", postalCode: "OX1", regionCode: "GB" };
    const shallow = Object.freeze({ ...identity, address });
    expect(elementsOf(shallow, undefined, "GB").address).toBe("1 a st|ox1|gb");
    address.lines.push("Flat 2");
    expect(elementsOf(shallow, undefined, "GB").address).toBe("1 a st|flat 2|ox1|gb");
  });

  it("keys by the identity object, so equal-looking identities of other sessions are their own", () => {
    const a = frozenCopy(identity);
    const b = frozenCopy({ ...identity, email: "other@example.com" });
    expect(elementsOf(a, undefined, "GB").email).toBe("zoe@example.com");
    expect(elementsOf(b, undefined, "GB").email).toBe("other@example.com");
    expect(elementsOf(a, undefined, "GB").email).toBe("zoe@example.com");
  });
});

import { describe, expect, it } from "vitest";
import { emptyLists, listEntryViolations, type TenantLists } from "../../src/domain/thresholds.js";

const violations = (lists: Partial<TenantLists>) => listEntryViolations({ ...emptyLists(), ...lists });

describe("list entries that can never match", () => {
  it("accepts entries in any form the normalization reads", () => {
    expect(
      violations({
        denyEmails: ["ZOË@Example.com.", "zoë@bücher.de"],
        allowEmails: ["x@acme.com"],
        denyDomains: ["ＭＡＩＬＩＮＡＴＯＲ．com", "xn--bcher-kva.de", "example"],
        denyPhones: ["+44 7700 900123", "07700 900123", "(202) 555-0123"],
        denyDeviceIds: ["d1"],
      }),
    ).toEqual([]);
  });

  it.each([
    ["an email without an at sign", { denyEmails: ["zoe.example.com"] }, "lists.deny_emails[0]", "must be an email address with a valid domain"],
    ["an email whose domain is invalid", { allowEmails: ["ok@acme.com", "x@acme..com"] }, "lists.allow_emails[1]", "must be an email address with a valid domain"],
    ["a wildcard domain", { denyDomains: ["*.mailinator.com"] }, "lists.deny_domains[0]", "must be a domain name, without wildcards"],
    ["an empty domain", { allowDomains: ["\u200B"] }, "lists.allow_domains[0]", "must be a domain name, without wildcards"],
    ["a phone without digits", { denyPhones: ["n/a"] }, "lists.deny_phones[0]", "must be a phone number"],
    ["an empty device id", { allowDeviceIds: [""] }, "lists.allow_device_ids[0]", "must not be empty"],
  ])("refuses %s, without quoting it", (_name, lists, field, description) => {
    expect(violations(lists)).toEqual([{ field, description }]);
  });
});

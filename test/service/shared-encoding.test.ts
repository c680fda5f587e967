import { create, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import type { Session } from "../../src/domain/session.js";
import { GrowingBytes } from "../../src/service/growing-bytes.js";
import { sessionToProto } from "../../src/service/mapping.js";
import { encodeShared } from "../../src/service/shared-encoding.js";
import { serviceDefinitionOf } from "../../src/server/grpc-native/service-definition.js";
import { frozenCopy } from "../../src/store/freeze.js";
import { SessionSchema, SubmissionSchema } from "../../gen/sessionflow/v1/session_pb.js";
import { SubmitResponseSchema } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { GetSessionResponseSchema } from "../../gen/sessionflow/v1/session_service_pb.js";
import { AcknowledgementService } from "../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { MetricsService } from "../../gen/sessionflow/v1/metrics_service_pb.js";
import { OutcomeService } from "../../gen/sessionflow/v1/outcome_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { createDomainHarness } from "../support/domain-harness.js";

const identity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+447700900123" };

/** A message with every field set to something other than its zero value, nested messages too. */
function filled<D extends DescMessage>(desc: D, depth = 0, seed = 1): ReturnType<typeof create<D>> {
  const message = create(desc);
  const r = reflect(desc, message);
  for (const field of desc.fields) {
    if (field.oneof && r.oneofCase(field.oneof) !== undefined) continue;
    const value = sample(field, depth, seed);
    if (value !== undefined) r.set(field, value as never);
  }
  return message;
}

function sample(field: DescField, depth: number, seed: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalar(field.scalar, seed);
    case "enum":
      return field.enum.values.at(-1)!.number;
    case "message":
      return depth < 3 ? reflect(field.message, filled(field.message, depth + 1, seed + 1)) : undefined;
    case "list": // filled by fillLists
    case "map":
      return undefined;
  }
}

function scalar(type: number, seed: number): unknown {
  // ScalarType: DOUBLE 1, FLOAT 2, INT64 3, UINT64 4, INT32 5, FIXED64 6, FIXED32 7, BOOL 8, STRING 9, BYTES 12, UINT32 13, SFIXED32 15, SFIXED64 16, SINT32 17, SINT64 18
  switch (type) {
    case 1:
      return -0.5 * seed;
    case 2:
      return 1.5;
    case 8:
      return true;
    case 9:
      return `v${seed}-é`;
    case 12:
      return new Uint8Array([1, 2, seed]);
    case 3:
    case 4:
    case 6:
    case 16:
    case 18:
      return BigInt(seed * 1000);
    default:
      return seed * 7;
  }
}

/** Fills every list of a message (and of the messages it holds) with two items. */
function fillLists(desc: DescMessage, message: Record<string, unknown>, depth = 0): void {
  for (const field of desc.fields) {
    if (field.fieldKind === "message" && message[field.localName] && depth < 3) fillLists(field.message, message[field.localName] as never, depth + 1);
    if (field.fieldKind !== "list") continue;
    const items =
      field.listKind === "message"
        ? [1, 2].map((seed) => {
            const item = filled(field.message, depth + 1, seed) as Record<string, unknown>;
            if (depth < 3) fillLists(field.message, item, depth + 1);
            return item;
          })
        : field.listKind === "enum"
          ? [field.enum.values.at(-1)!.number, 0]
          : [scalar(field.scalar, 1), scalar(field.scalar, 2)];
    message[field.localName] = items;
  }
}

const services = [AcknowledgementService, BillingService, CheckService, ClientAuthService, ConfigurationService, DecisionService, EventService, MetricsService, OutcomeService, SessionService, SubmissionService];

function everyResponseType(): DescMessage[] {
  const types = new Map<string, DescMessage>();
  for (const service of services) for (const m of service.methods) types.set(m.output.typeName, m.output);
  return [...types.values()];
}

async function sessionVersions(continues: number): Promise<{ stored: Session; next: Session }[]> {
  const h = createDomainHarness();
  const first = await h.sessions.submit(h.submit({ workflow: "bank-signup", identity, step: "start", complete: false }));
  const out: { stored: Session; next: Session }[] = [];
  for (let i = 0; i < continues; i++) {
    h.clock.advance(1000);
    const next = (await h.sessions.submit(h.submit({ sessionId: first.session.id, workflow: "bank-signup", identity, step: `s${i}`, complete: i === continues - 1 }))).session;
    out.push({ stored: (await h.store.sessions.get(first.session.tenantId, first.session.id))!, next });
  }
  return out;
}

describe("encodeShared", () => {
  it("writes the bytes toBinary writes, for every response type with every field set", () => {
    const types = everyResponseType();
    expect(types.length).toBeGreaterThan(10);
    const session = filled(SessionSchema);
    fillLists(SessionSchema, session as never);
    expect(toBinary(SessionSchema, session).byteLength).toBeGreaterThan(500); // every field, lists of two
    for (const desc of types) {
      const message = filled(desc);
      fillLists(desc, message as never);
      expect(Buffer.from(encodeShared(desc, message)).toString("hex"), desc.typeName).toBe(Buffer.from(toBinary(desc, message)).toString("hex"));
      const frozen = frozenCopy(message);
      // Twice: the second time from what the first remembered.
      for (let i = 0; i < 2; i++) expect(Buffer.from(encodeShared(desc, frozen)).toString("hex"), desc.typeName).toBe(Buffer.from(toBinary(desc, message)).toString("hex"));
    }
  });

  it("writes each version of a growing session as toBinary does, while reusing the runs of earlier ones", async () => {
    const versions = await sessionVersions(12);
    for (const { stored, next } of versions) {
      for (const s of [next, stored, next]) {
        const response = create(SubmitResponseSchema, { session: sessionToProto(s), disposition: 2, requestId: "r" });
        expect(encodeShared(SubmitResponseSchema, response)).toEqual(toBinary(SubmitResponseSchema, response));
      }
    }
    // An older version read after newer ones were encoded still gets its own items, no more.
    for (const { stored } of versions) {
      const response = create(GetSessionResponseSchema, { session: sessionToProto(stored) });
      expect(encodeShared(GetSessionResponseSchema, response)).toEqual(toBinary(GetSessionResponseSchema, response));
    }
  });

  it("never writes one session's items into another's response, though their first items are alike", async () => {
    const [a] = (await sessionVersions(3)).slice(-1);
    const [b] = (await sessionVersions(4)).slice(-1);
    for (const s of [a!.stored, b!.stored, a!.stored]) {
      const bytes = encodeShared(SessionSchema, sessionToProto(s));
      expect(bytes).toEqual(toBinary(SessionSchema, sessionToProto(structuredClone(s))));
    }
  });

  it("writes -0, which toBinary tells from 0", () => {
    const response = create(SubmitResponseSchema, { session: create(SessionSchema, { risk: { accountScore: -0, bot: 0 } }) });
    expect(encodeShared(SubmitResponseSchema, response)).toEqual(toBinary(SubmitResponseSchema, response));
    expect(encodeShared(SubmitResponseSchema, response).byteLength).toBeGreaterThan(4);
  });

  it("does not reuse a run when an item in it differs, though the first is the same", () => {
    const item = (step: string) => Object.freeze(create(SubmissionSchema, { step }));
    const [a, b, c] = [item("a"), item("b"), item("c")];
    for (const submissions of [[a, b], [a, c], [a], [a, b, c], [a, c]]) {
      const session = create(SessionSchema, { submissions });
      expect(encodeShared(SessionSchema, session)).toEqual(toBinary(SessionSchema, session));
    }
  });

  it("is what the native port sends", () => {
    const response = create(SubmitResponseSchema, { requestId: "r", disposition: 1 });
    const definition = serviceDefinitionOf(SubmissionService)["submit"]!;
    expect(new Uint8Array(definition.responseSerialize(response))).toEqual(toBinary(SubmitResponseSchema, response));
  });

  it("leaves nothing of a failed encoding in the next one", () => {
    const bad = create(SubmitResponseSchema, { requestId: "r", session: create(SessionSchema, { forcedRetries: 2 ** 40 }) });
    expect(() => encodeShared(SubmitResponseSchema, bad)).toThrow();
    const good = create(SubmitResponseSchema, { requestId: "r" });
    expect(encodeShared(SubmitResponseSchema, good)).toEqual(toBinary(SubmitResponseSchema, good));
  });
});

describe("GrowingBytes", () => {
  it("extends in place, and copies when the run was extended already, so no run's bytes change", () => {
    const a = GrowingBytes.of(new Uint8Array([1, 2]));
    const b = a.append(new Uint8Array([3]));
    const c = a.append(new Uint8Array([9, 9]));
    const d = b.append(new Uint8Array([4, 5, 6, 7, 8]));
    expect([...a.bytes]).toEqual([1, 2]);
    expect([...b.bytes]).toEqual([1, 2, 3]);
    expect([...c.bytes]).toEqual([1, 2, 9, 9]);
    expect([...d.bytes]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

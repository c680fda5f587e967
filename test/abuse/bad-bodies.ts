import { fromBinary, fromJsonString, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import fc from "fast-check";
import { Health } from "../../gen/health/v1/health_pb.js";
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
import { envelope } from "./raw-rpc.js";

/** Every unary and server-streaming method the port serves (reflection is bidi-only). */
export const methods: DescMethod[] = [
  SubmissionService, SessionService, ClientAuthService, AcknowledgementService, OutcomeService,
  EventService, DecisionService, CheckService, ConfigurationService, BillingService, MetricsService, Health,
].flatMap((s) => s.methods.filter((m) => m.methodKind === "unary" || m.methodKind === "server_streaming"));

const failsBinary = (desc: DescMessage, bytes: Uint8Array) => {
  try {
    fromBinary(desc, bytes);
    return false;
  } catch {
    return true;
  }
};

const failsJson = (desc: DescMessage, text: string) => {
  try {
    fromJsonString(desc, text, { ignoreUnknownFields: false });
    return false;
  } catch {
    return true;
  }
};

const bytes = (...parts: (number | Uint8Array | readonly number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...p])));
const varint = (n: number) => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
};
const tag = (field: number, wireType: number) => varint((field << 3) | wireType);

const invalidUtf8 = fc.constantFrom(
  [0xc3, 0x28], // a lead byte without its continuation
  [0x80], // a lone continuation byte
  [0xff], // never valid
  [0xed, 0xa0, 0x80], // an encoded UTF-16 surrogate
  [0xc0, 0x80], // an overlong NUL
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
);

/**
 * Binary bodies that cannot decode as `desc`, by construction and checked against the decoder:
 * random bytes, bad varints, lengths past the end, invalid wire types, invalid UTF-8 in a string
 * field, wrong wire types, unterminated groups, and valid messages with bytes flipped or cut.
 */
export function undecodableBinary(desc: DescMessage, valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const field = fc.integer({ min: 1, max: 30 });
  const stringFields = desc.fields.filter((f) => f.fieldKind === "scalar" && f.scalar === 9 /* STRING */).map((f) => f.number);
  const candidates: fc.Arbitrary<Uint8Array>[] = [
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.tuple(field, fc.integer({ min: 10, max: 14 })).map(([f, n]) => bytes(tag(f, 0), Array(n).fill(0xff))),
    fc.tuple(field, fc.integer({ min: 1, max: 1 << 20 }), fc.uint8Array({ maxLength: 8 })).map(([f, n, rest]) => bytes(tag(f, 2), varint(n + rest.length + 1), rest)),
    fc.tuple(field, fc.constantFrom(6, 7)).map(([f, wt]) => bytes(tag(f, wt), 0)),
    fc.constantFrom(0, 2, 5).map((wt) => bytes(tag(0, wt), 0, 0, 0, 0)),
    fc.tuple(field, fc.uint8Array({ maxLength: 8 })).map(([f, rest]) => bytes(tag(f, 3), rest)),
    fc.tuple(field).map(([f]) => bytes(tag(f, 4))),
    fc.tuple(fc.integer({ min: 1, max: 8 })).map(([n]) => valid.subarray(0, Math.max(0, valid.length - n))),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
      const copy = Uint8Array.from(valid);
      if (copy.length > 0) copy[at % copy.length] = copy[at % copy.length]! ^ x;
      return copy;
    }),
  ];
  if (stringFields.length > 0) {
    const sf = fc.constantFrom(...stringFields);
    candidates.push(
      fc.tuple(sf, fc.string({ maxLength: 8 }), invalidUtf8).map(([f, prefix, bad]) => {
        const data = bytes(Buffer.from(prefix), bad);
        return bytes(tag(f, 2), varint(data.length), data);
      }),
      // A string field sent as a varint, a fixed32 or a fixed64.
      fc.tuple(sf, fc.constantFrom(0, 1, 5), fc.uint8Array({ maxLength: 9 })).map(([f, wt, rest]) => bytes(tag(f, wt), rest)),
    );
  }
  return fc.oneof(...candidates).filter((b) => failsBinary(desc, b));
}

/**
 * JSON bodies that cannot decode as `desc` under strict rules: not JSON, truncated, the wrong
 * JSON type, unknown fields, unknown enum names, wrong value types, invalid UTF-8.
 */
export function undecodableJson(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  const names = desc.fields.map((f) => f.jsonName);
  const known = names.length > 0 ? fc.constantFrom(...names) : fc.constant("x");
  const wrongValue = fc.oneof(
    fc.constant("\"not-a-valid-value\""),
    fc.constant("{\"nested\":{\"deep\":[1,2,3]}}"),
    fc.constant("[[\"x\"]]"),
    fc.constant("1e400"),
    fc.constant("-99999999999999999999999"),
    fc.constant("\"FOO\""),
    fc.constant("[\"FOO\"]"),
    fc.constant("\"1970-13-45T99:99:99Z\""),
    fc.constant("{\"seconds\":\"x\"}"),
  );
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !names.includes(k)).map((k) => JSON.stringify({ [k]: 1 })),
    fc.tuple(known, wrongValue).map(([k, v]) => `{${JSON.stringify(k)}:${v}}`),
    fc.tuple(known, fc.integer({ min: 1, max: 20 })).map(([k, n]) => `{${JSON.stringify(k)}:"abc`.slice(0, n)),
  );
  const asBytes = text.filter((t) => failsJson(desc, t)).map((t) => new Uint8Array(Buffer.from(t)));
  const badUtf8 = fc.tuple(known, invalidUtf8).map(([k, bad]) => bytes(Buffer.from(`{"${k}":"`), bad, Buffer.from('"}')));
  return fc.oneof(asBytes, badUtf8);
}

/**
 * Envelope framings of a payload, for the protocols that frame: whole, cut short, a lone header
 * fragment, an absurd length, no message, two messages, and the compressed flag with no or a
 * bogus encoding. Any of them is a malformed request whatever the payload.
 */
export function badFramings(payload: Uint8Array, goodPayload: Uint8Array): fc.Arbitrary<{ body: Uint8Array; headers?: Record<string, string> }> {
  return fc.oneof(
    fc.constant({ body: envelope(payload) }),
    fc.integer({ min: 1, max: 4 }).map((n) => ({ body: envelope(payload).subarray(0, n) })),
    fc.integer({ min: 1, max: 100 }).map((extra) => {
      const e = envelope(payload);
      new DataView(e.buffer).setUint32(1, payload.byteLength + extra);
      return { body: e };
    }),
    fc.constant({ body: bytes(0, 0xff, 0xff, 0xff, 0xff) }),
    fc.constant({ body: new Uint8Array() }),
    fc.constant({ body: bytes(envelope(goodPayload), envelope(goodPayload)) }),
    fc.constant({ body: envelope(payload, 1) }),
    fc.constantFrom("gzip", "br").map((encoding) => ({
      body: envelope(payload, 1),
      headers: { "grpc-encoding": encoding, "connect-content-encoding": encoding },
    })),
  );
}

import { create, toBinary, toJsonString, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { badFramings, methods, undecodableBinary, undecodableJson } from "./bad-bodies.js";
import { useRawServer, isEnveloped, isJson, wireProtocols, type RawAnswer, type WireProtocol } from "./raw-rpc.js";

/** A message with every top-level string set to a UUID and every number to 1: valid to decode. */
function sample(desc: DescMessage) {
  const init: Record<string, unknown> = {};
  for (const f of desc.fields) {
    if (f.fieldKind !== "scalar") continue;
    if (f.scalar === 9) init[f.localName] = "0197f665-6c88-7512-bc33-a7605d487377";
    else if (f.scalar === 5 || f.scalar === 1) init[f.localName] = 1;
  }
  return create(desc, init);
}

const encode = (protocol: WireProtocol, desc: DescMessage, message = sample(desc)) =>
  isJson(protocol) ? new Uint8Array(Buffer.from(toJsonString(desc, message))) : toBinary(desc, message);

function expectRefused(answer: RawAnswer, what: string) {
  expect(answer.code, `${what}: ${answer.message}`).not.toBe(Code.Internal);
  expect(answer.code, `${what}: ${answer.message}`).not.toBe(Code.Unknown);
  expect([Code.InvalidArgument, Code.ResourceExhausted], `${what}: ${Code[answer.code]} ${answer.message}`).toContain(answer.code);
  const reason = answer.code === Code.InvalidArgument ? "INVALID_REQUEST" : "REQUEST_TOO_LARGE";
  expect(answer.errorInfo, what).toEqual([expect.objectContaining({ reason, domain: "sessionflow.v1" })]);
}

/**
 * SPEC §6: bad input is INVALID_ARGUMENT with a stable reason and never INTERNAL. Generated bodies
 * that cannot decode, in every protocol and framing, unary and server-streaming, against a real
 * server; bounded to a few hundred requests.
 */
describe("undecodable request bodies", () => {
  const env = useRawServer();

  const anyMethod = fc.constantFrom(...methods);

  it.each(wireProtocols)("are INVALID_ARGUMENT with INVALID_REQUEST over %s, for every method and framing", async (protocol) => {
    const arbitrary = anyMethod.chain((method) => {
      const payload = isJson(protocol) ? undecodableJson(method.input) : undecodableBinary(method.input, encode(protocol, method.input));
      if (!isEnveloped(protocol, method)) {
        // Connect unary: the body as it is, or declared compressed when it is not.
        const encodings = fc.constantFrom<Record<string, string> | undefined>(undefined, { "content-encoding": "gzip" }, { "content-encoding": "br" });
        return fc.tuple(fc.constant(method), fc.record({ body: payload, headers: encodings }));
      }
      return fc.tuple(fc.constant(method), payload.chain((p) => badFramings(p, encode(protocol, method.input))));
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([method, { body, headers }]) => {
        const answer = await env.raw.call({ protocol, method, body, key: env.server.keys.acme, ...(headers ? { headers } : {}) });
        expectRefused(answer, `${method.parent.name}/${method.name} ${Buffer.from(body).toString("hex").slice(0, 80)}`);
      }),
      { numRuns: 60, seed: 20260302, endOnFailure: true, interruptAfterTimeLimit: 8_000 },
    );
  });

  it.each(wireProtocols)("are refused whatever the random bytes, for methods that need a session id, over %s", async (protocol) => {
    const targets: DescMethod[] = [SessionService.method.getSession, EventService.method.watchSession];
    const garbage = fc.uint8Array({ maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), garbage, fc.boolean(), async (method, bytes, framed) => {
        const enveloped = isEnveloped(protocol, method);
        const body = enveloped && framed ? Uint8Array.from([0, 0, 0, 0, bytes.length, ...bytes]) : bytes;
        expectRefused(await env.raw.call({ protocol, method, body, key: env.server.keys.acme }), `${method.name} ${Buffer.from(body).toString("hex")}`);
      }),
      { numRuns: 30, seed: 7, endOnFailure: true, interruptAfterTimeLimit: 5_000 },
    );
  });

  it("logs each refusal as an rpc line with its code and keeps serving", async () => {
    const before = env.server.logs().split("\n").length;
    const method = SessionService.method.getSession;
    const answer = await env.raw.call({ protocol: "connect-proto", method, body: Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]), key: env.server.keys.acme });
    expectRefused(answer, "invalid UTF-8");
    const lines = env.server.logs().split("\n").slice(before - 1).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "rpc", code: "InvalidArgument", procedure: "sessionflow.v1.SessionService/GetSession" }));

    const ok = await env.raw.call({ protocol: "grpc-proto", method, body: Uint8Array.from([0, 0, 0, 0, 0]), key: env.server.keys.acme });
    expect(ok.code).toBe(Code.InvalidArgument); // an empty GetSession: decoded, then refused by validation
    expect((await fetch(`${env.server.baseUrl}/healthz`)).status).toBe(200);
  });

  it("are refused over Connect GET too", async () => {
    const method = DecisionService.method.getUnauthenticatedDecision;
    for (const query of ["encoding=proto&base64=1&message=CgLDKA", "encoding=proto&base64=1&message=%%%", "encoding=json&message=%7B%22x%22%3A1%7D", "encoding=json&message=%7B"]) {
      const res = await fetch(`${env.server.baseUrl}/${method.parent.typeName}/${method.name}?connect=v1&${query}`, { headers: { authorization: `Bearer ${env.server.keys.acme}` } });
      const json = (await res.json()) as { code: string; details?: { type: string; debug?: { reason?: string } }[] };
      expect({ query, status: res.status, code: json.code }).toEqual({ query, status: 400, code: "invalid_argument" });
      expect(json.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason).toBe("INVALID_REQUEST");
    }
  });
});

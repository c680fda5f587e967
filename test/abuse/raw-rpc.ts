import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { endStreamFromJson, errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import http2 from "node:http2";
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { BadRequestSchema, ErrorInfoSchema, type ErrorInfo } from "../../gen/google/rpc/error_details_pb.js";

/**
 * Sends hand-made request bodies, so tests can send what no generated client would: broken
 * envelopes, undecodable messages, garbage JSON. Loopback only; one HTTP/2 session per client.
 */
export const wireProtocols = ["connect-proto", "connect-json", "grpc-proto", "grpc-json", "grpc-web-proto", "grpc-web-json"] as const;
export type WireProtocol = (typeof wireProtocols)[number];

export const isJson = (p: WireProtocol) => p.endsWith("-json");
/** Whether the protocol frames the request body in length-prefixed envelopes for this method. */
export const isEnveloped = (p: WireProtocol, method: DescMethod) => !p.startsWith("connect-") || method.methodKind !== "unary";

export interface RawAnswer {
  /** 0 for success. */
  code: Code | 0;
  message: string;
  errorInfo: ErrorInfo[];
  /** The fields google.rpc.BadRequest names, if any. */
  fields?: string[];
  /** Everything the server sent that a client could read: headers, body, decoded error details. */
  visible: string;
}

export interface RawCall {
  protocol: WireProtocol;
  method: DescMethod;
  /** The body exactly as sent: a bare message for Connect unary, envelopes otherwise. */
  body: Uint8Array;
  key?: string;
  headers?: Record<string, string>;
}

export interface RawClient {
  call(c: RawCall): Promise<RawAnswer>;
  close(): void;
}

/** One length-prefixed frame. */
export function envelope(data: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + data.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.byteLength);
  out.set(data, 5);
  return out;
}

function contentType(protocol: WireProtocol, method: DescMethod): string {
  const codec = isJson(protocol) ? "json" : "proto";
  if (protocol.startsWith("grpc-web")) return `application/grpc-web+${codec}`;
  if (protocol.startsWith("grpc")) return `application/grpc+${codec}`;
  return method.methodKind === "unary" ? `application/${codec}` : `application/connect+${codec}`;
}

/** The frames of an enveloped body; a partial frame at the end is returned as is. */
function frames(body: Uint8Array): { flags: number; data: Uint8Array }[] {
  const out: { flags: number; data: Uint8Array }[] = [];
  let at = 0;
  while (at + 5 <= body.byteLength) {
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

function answerOf(error: ConnectError | undefined, raw: string): RawAnswer {
  if (!error) return { code: 0, message: "", errorInfo: [], visible: raw };
  const details = error.details.map((d) => ("value" in d && d.value instanceof Uint8Array ? Buffer.from(d.value).toString("latin1") : JSON.stringify(d)));
  return {
    code: error.code,
    message: error.rawMessage,
    errorInfo: error.findDetails(ErrorInfoSchema),
    fields: error.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => v.field)),
    visible: [raw, error.rawMessage, ...details].join("\n"),
  };
}

const attempt = <T>(f: () => T, fallback: T): T => {
  try {
    return f();
  } catch {
    return fallback;
  }
};

const headerText = (h: Headers) => [...h].map(([k, v]) => `${k}: ${v}`).join("\n");

export function createRawClient(baseUrl: string): RawClient {
  let session: http2.ClientHttp2Session | undefined;
  const h2 = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(baseUrl);
      session.on("error", () => {});
    }
    return session;
  };

  async function overHttp1(c: RawCall): Promise<RawAnswer> {
    const res = await fetch(`${baseUrl}/${c.method.parent.typeName}/${c.method.name}`, {
      method: "POST",
      headers: {
        "content-type": contentType(c.protocol, c.method),
        ...(c.key ? { authorization: `Bearer ${c.key}` } : {}),
        ...c.headers,
      },
      body: Buffer.from(c.body),
    });
    const body = new Uint8Array(await res.arrayBuffer());
    const raw = `${res.status}\n${headerText(res.headers)}\n${Buffer.from(body).toString("latin1")}`;
    if (c.protocol.startsWith("grpc-web")) {
      if (res.headers.has("grpc-status")) return answerOf(findTrailerError(res.headers), raw);
      const trailer = frames(body).find((f) => (f.flags & 0x80) === 0x80);
      if (!trailer) return { code: Code.Unknown, message: "no trailer", errorInfo: [], visible: raw };
      return answerOf(findTrailerError(trailerParse(trailer.data)), raw);
    }
    if (c.method.methodKind === "unary") {
      if (res.status === 200) return answerOf(undefined, raw);
      // Not every refusal has a JSON body: 415 and 405 come without one.
      const fallback = new ConnectError(`HTTP ${res.status}`, Code.Unknown);
      return answerOf(attempt(() => errorFromJsonBytes(body, res.headers, fallback), fallback), raw);
    }
    const end = frames(body).find((f) => (f.flags & 0x02) === 0x02);
    if (!end) return { code: Code.Unknown, message: "no end-stream frame", errorInfo: [], visible: raw };
    return answerOf(endStreamFromJson(end.data).error, raw);
  }

  function overHttp2(c: RawCall): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const stream = h2().request({
        ":method": "POST",
        ":path": `/${c.method.parent.typeName}/${c.method.name}`,
        "content-type": contentType(c.protocol, c.method),
        te: "trailers",
        ...(c.key ? { authorization: `Bearer ${c.key}` } : {}),
        ...c.headers,
      });
      const headers = new Headers();
      const chunks: Buffer[] = [];
      const add = (h: http2.IncomingHttpHeaders) => {
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(":") && v !== undefined) headers.append(k, String(v));
      };
      stream.on("response", add);
      stream.on("trailers", add);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("close", () => {
        const raw = `${headerText(headers)}\n${Buffer.concat(chunks).toString("latin1")}`;
        if (!headers.has("grpc-status")) return resolve({ code: Code.Unknown, message: `no grpc-status (rst ${stream.rstCode})`, errorInfo: [], visible: raw });
        resolve(answerOf(findTrailerError(headers), raw));
      });
      stream.end(Buffer.from(c.body));
    });
  }

  return {
    call: (c) => (c.protocol.startsWith("grpc-") && !c.protocol.startsWith("grpc-web") ? overHttp2(c) : overHttp1(c)),
    close: () => session?.close(),
  };
}

/** A test server and a raw client on it for the enclosing describe block, both closed after it. */
export function useRawServer(): { readonly server: TestServer; readonly raw: RawClient } {
  const env = {} as { server: TestServer; raw: RawClient };
  beforeAll(async () => {
    env.server = await startTestServer();
    env.raw = createRawClient(env.server.baseUrl);
  });
  afterAll(async () => {
    env.raw.close();
    await env.server.close();
  });
  return env;
}

import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression, UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { reasonError } from "../service/connect-errors.js";
import { callStartedKey } from "./interceptors/request-input.js";
import { requestErrorOf } from "./request-errors.js";

/** What the wrapper replaced: the error Connect raised, the one sent instead, and whether the call had started. */
export interface Replaced {
  request: UniversalServerRequest;
  /** As the logging interceptor names it: "package.Service/Method". */
  procedure: string;
  original: ConnectError;
  sent: ConnectError;
  started: boolean;
  /** Milliseconds since the request arrived. */
  ms: number;
}

export interface CatalogReasonOptions {
  /** The compressions the router accepts: a Connect unary error body may be compressed with one. */
  compressions: readonly Compression[];
  onReplaced?: (r: Replaced) => void;
  /** The request size cap, told to clients refused for exceeding it. */
  maxRequestBytes?: number;
}

/**
 * Connect answers some requests itself, before any interceptor runs: a unary body it cannot
 * read or decode, one over the size cap. Those errors lack the catalog reason every other error
 * carries, some have the wrong code (INTERNAL for broken binary) and some quote the input. This
 * wrapper replaces them in the response, in the wire form of each protocol: Connect unary JSON,
 * Connect end-stream, gRPC and gRPC-Web trailers. Errors that carry a catalog reason are left alone.
 */
export function withCatalogReasons(handler: UniversalHandler, { compressions, onReplaced = () => {}, maxRequestBytes }: CatalogReasonOptions): UniversalHandler {
  const procedure = `${handler.service.typeName}/${handler.method.name}`;
  const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const arrived = performance.now();
    const res = await handler(req);
    const fix = (original: ConnectError) => {
      const started = req.contextValues?.get(callStartedKey) === true;
      const sent = catalogErrorOf(original, started, handler, maxRequestBytes);
      if (sent) onReplaced({ request: req, procedure, original, sent, started, ms: performance.now() - arrived });
      return sent;
    };
    const type = res.header?.get("content-type") ?? "";
    if (type.startsWith("application/grpc-web")) return { ...res, body: patchGrpcWeb(res.body, fix) };
    if (type.startsWith("application/grpc")) return patchGrpc(res, fix);
    if (type.startsWith("application/connect+")) return { ...res, body: patchEndStream(res.body, fix) };
    if (res.status !== 200 && type.startsWith("application/json")) return patchConnectUnary(res, fix, compressions);
    return res;
  };
  return Object.assign(wrapped, handler);
}

type Fix = (error: ConnectError) => ConnectError | undefined;

/**
 * The error to send instead of `error`, or undefined to send it as it is. Before the call
 * started, Connect was reading the request, so the fault is the client's; after, an error
 * without a reason is Connect failing on the response, which is ours.
 */
function catalogErrorOf(error: ConnectError, started: boolean, handler: UniversalHandler, maxBytes?: number): ConnectError | undefined {
  if (error.findDetails(ErrorInfoSchema).length > 0) return undefined;
  if (!started) return requestErrorOf(error, handler.method.input, maxBytes);
  if (error.code === Code.Internal || error.code === Code.Unknown) return reasonError("INTERNAL", "internal error");
  return undefined;
}

async function readAll(body: UniversalServerResponse["body"]): Promise<Uint8Array> {
  if (!body || !(Symbol.asyncIterator in (body as object))) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* once(bytes: Uint8Array) {
  yield bytes;
}

/** Connect compresses an error body over 1 KiB when the client accepts it; a replacement goes out plain. */
async function patchConnectUnary(res: UniversalServerResponse, fix: Fix, compressions: readonly Compression[]): Promise<UniversalServerResponse> {
  const bytes = await readAll(res.body);
  const encoding = res.header?.get("content-encoding");
  const compression = compressions.find((c) => c.name === encoding);
  const json = compression ? await compression.decompress(bytes, maxErrorBytes) : bytes;
  const patched = fix(errorFromJsonBytes(json, undefined, new ConnectError("internal error", Code.Internal)));
  if (!patched) return { ...res, body: once(bytes) };
  const body = errorToJsonBytes(patched, {});
  res.header?.delete("content-encoding");
  res.header?.set("content-length", String(body.byteLength));
  return { ...res, status: codeToHttpStatus(patched.code), body: once(body) };
}

/** Errors are small; this only bounds the decompression of our own response. */
const maxErrorBytes = 16 * 1024 * 1024;

function patchGrpc(res: UniversalServerResponse, fix: Fix): UniversalServerResponse {
  const trailer = res.trailer;
  const source = res.body as AsyncIterable<Uint8Array> | undefined;
  if (!trailer || !source) return res;
  // The trailers are written after the body, so they can still be amended once it is done.
  async function* body() {
    yield* source!;
    const error = findTrailerError(trailer!);
    const patched = error && fix(error);
    if (patched) {
      // A fresh status: the old grpc-message may quote the input.
      for (const key of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) trailer!.delete(key);
      setTrailerStatus(trailer!, patched);
    }
  }
  return { ...res, body: body() };
}

/** gRPC-Web sends its trailers as the last frame of the body. */
async function* patchGrpcWeb(source: UniversalServerResponse["body"], fix: Fix) {
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (chunk.byteLength >= 5 && (chunk[0]! & trailerFlag) === trailerFlag) {
      const error = findTrailerError(trailerParse(chunk.subarray(5)));
      const patched = error && fix(error);
      if (patched) {
        yield envelope(chunk[0]!, trailerSerialize(setTrailerStatus(new Headers(), patched)));
        continue;
      }
    }
    yield chunk;
  }
}

/** Connect streaming ends with an end-stream frame (flag 0b10) that may carry the error as JSON. */
async function* patchEndStream(source: UniversalServerResponse["body"], fix: Fix) {
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (chunk.byteLength >= 5 && (chunk[0]! & 0b10) === 0b10) {
      try {
        const json = JSON.parse(new TextDecoder().decode(chunk.subarray(5))) as { error?: unknown };
        if (json.error) {
          const error = errorFromJsonBytes(new TextEncoder().encode(JSON.stringify(json.error)), undefined, new ConnectError("internal error", Code.Internal));
          const patched = fix(error);
          if (patched) {
            const error = JSON.parse(new TextDecoder().decode(errorToJsonBytes(patched, {}))) as unknown;
            yield envelope(chunk[0]!, new TextEncoder().encode(JSON.stringify({ ...json, error })));
            continue;
          }
        }
      } catch {
        // not JSON: pass through untouched
      }
    }
    yield chunk;
  }
}

/** One length-prefixed frame, as gRPC-Web and Connect streaming carry messages and trailers. */
function envelope(flags: number, data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + data.byteLength);
  frame[0] = flags;
  new DataView(frame.buffer).setUint32(1, data.byteLength);
  frame.set(data, 5);
  return frame;
}

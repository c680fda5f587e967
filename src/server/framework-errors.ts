import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { toConnectError } from "../service/connect-errors.js";

/**
 * Connect answers some bad requests itself, before any interceptor runs: an undecodable body
 * (wrong JSON types, broken binary) or one over the size cap. Those errors would lack the
 * catalog reason every other error carries, so this wrapper adds it to the response, in the
 * wire form of each protocol: Connect unary JSON, Connect end-stream, gRPC and gRPC-Web trailers.
 */
export function withCatalogReasons(handler: UniversalHandler): UniversalHandler {
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const res = await handler(req);
    const type = res.header?.get("content-type") ?? "";
    if (type.startsWith("application/grpc-web")) return { ...res, body: patchGrpcWeb(res.body) };
    if (type.startsWith("application/grpc")) return patchGrpc(res);
    if (type.startsWith("application/connect+")) return { ...res, body: patchEndStream(res.body) };
    if (res.status !== 200 && type.startsWith("application/json")) return patchConnectUnary(res);
    return res;
  };
  return Object.assign(wrapped, handler);
}

/** The error with the catalog reason added, or undefined when it already had one. */
function withReason(error: ConnectError): ConnectError | undefined {
  if (error.findDetails(ErrorInfoSchema).length > 0) return undefined;
  // Metadata stays behind: it holds the wire headers the error was parsed from.
  const fresh = new ConnectError(error.rawMessage, error.code);
  fresh.details.push(...error.details);
  const patched = toConnectError(fresh);
  return patched.findDetails(ErrorInfoSchema).length > 0 ? patched : undefined;
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

async function patchConnectUnary(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const bytes = await readAll(res.body);
  const patched = withReason(errorFromJsonBytes(bytes, undefined, new ConnectError("internal error", Code.Internal)));
  if (!patched) return { ...res, body: once(bytes) };
  const body = errorToJsonBytes(patched, {});
  res.header?.set("content-length", String(body.byteLength));
  return { ...res, body: once(body) };
}

function patchGrpc(res: UniversalServerResponse): UniversalServerResponse {
  const trailer = res.trailer;
  const source = res.body as AsyncIterable<Uint8Array> | undefined;
  if (!trailer || !source) return res;
  // The trailers are written after the body, so they can still be amended once it is done.
  async function* body() {
    yield* source!;
    const error = findTrailerError(trailer!);
    const patched = error && withReason(error);
    if (patched) setTrailerStatus(trailer!, patched);
  }
  return { ...res, body: body() };
}

/** gRPC-Web sends its trailers as the last frame of the body. */
async function* patchGrpcWeb(source: UniversalServerResponse["body"]) {
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (chunk.byteLength >= 5 && (chunk[0]! & trailerFlag) === trailerFlag) {
      const trailer = trailerParse(chunk.subarray(5));
      const error = findTrailerError(trailer);
      const patched = error && withReason(error);
      if (patched) {
        const fresh = new Headers();
        setTrailerStatus(fresh, patched);
        yield envelope(chunk[0]!, trailerSerialize(fresh));
        continue;
      }
    }
    yield chunk;
  }
}

/** Connect streaming ends with an end-stream frame (flag 0b10) that may carry the error as JSON. */
async function* patchEndStream(source: UniversalServerResponse["body"]) {
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (chunk.byteLength >= 5 && (chunk[0]! & 0b10) === 0b10) {
      try {
        const json = JSON.parse(new TextDecoder().decode(chunk.subarray(5))) as { error?: unknown };
        if (json.error) {
          const error = errorFromJsonBytes(new TextEncoder().encode(JSON.stringify(json.error)), undefined, new ConnectError("internal error", Code.Internal));
          const patched = withReason(error);
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

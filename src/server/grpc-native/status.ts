import { ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { Metadata, type StatusObject } from "@grpc/grpc-js";

const detailsKey = "grpc-status-details-bin";
/** Set by grpc-js itself from the status; metadata must not repeat them. */
const reserved = new Set(["grpc-status", "grpc-message", detailsKey]);

/**
 * The grpc-js status for an error, as the main port's gRPC protocol sends it: connect-node's own
 * trailer encoding is reused, so grpc-status-details-bin (google.rpc.Status with the ErrorInfo,
 * BadRequest and RetryInfo details) carries the very same bytes, and the error's metadata
 * (x-request-id, …) goes into the trailers alike.
 */
export function statusOf(error: ConnectError, trailer: Headers): StatusObject {
  const metadata = metadataOf(trailer);
  const encoded = setTrailerStatus(new Headers(), error);
  encoded.forEach((value, key) => {
    if (!reserved.has(key)) metadata.add(key, value);
  });
  const details = encoded.get(detailsKey);
  if (details !== null) metadata.set(detailsKey, Buffer.from(details, "base64"));
  return { code: error.code as number, details: error.rawMessage, metadata };
}

/** Response headers or trailers for grpc-js; binary values travel base64-encoded in Headers. */
export function metadataOf(headers: Headers): Metadata {
  const metadata = new Metadata();
  headers.forEach((value, key) => {
    if (reserved.has(key)) return;
    if (key.endsWith("-bin")) metadata.add(key, Buffer.from(value, "base64"));
    else metadata.add(key, value);
  });
  return metadata;
}

/** The request's metadata as connect interceptors read it; binary values base64-encoded, as on the wire. */
export function headersOf(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) headers.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
  return headers;
}

/** Trailers for a successful call; none (grpc-js sends the status alone) when the handler set none. */
export function trailerOf(headers: Headers): Metadata | undefined {
  for (const _ of headers.keys()) return metadataOf(headers);
  return undefined;
}

import { create, isMessage, type DescMessage, type DescMethod, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { Metadata, ServerDuplexStream, ServerReadableStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { reasonError } from "../../service/connect-errors.js";
import { callAbortedKey } from "../../service/context.js";
import { ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { requestErrorOf } from "../request-errors.js";
import { requestIdOf } from "../request-id.js";
import { CallContext, type ServerSurfaceCall } from "./call-context.js";
import { NativeHandlerContext, NativeRequest } from "./native-request.js";
import { Undecodable } from "./service-definition.js";
import { metadataOf, statusOf, trailerOf } from "./status.js";

type Message = MessageShape<DescMessage>;

/** The native call behind a connect request, for the implementation's HandlerContext. */
const callContextKey = createContextKey<CallContext | undefined>(undefined, { description: "native call" });
type AnyFn = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyImpl = (input: any, ctx: HandlerContext) => any;
/** A grpc-js handler of any of the four kinds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeHandler = (call: any, callback?: sendUnaryData<Message>) => void;

export interface MethodHandlerOptions {
  interceptors: readonly Interceptor[];
  shutdownSignal: AbortSignal;
  logger: Logger;
  /** The request size cap, named in refusals as the main port names it. */
  maxRequestBytes: number;
  /** Told of each call refused before it reached the interceptors. */
  onRefused(procedure: string, code: Code): void;
  /** Called when a call starts, with its peer as grpc-js names it; the returned function when it ends. */
  onCall(peer: string, path: string): () => void;
}

/**
 * The grpc-js handler for one method of a connect service implementation: the request passes
 * through the same connect interceptors as on the main port (authentication, logging, errors,
 * scopes, limits, deadlines, and whatever else app.ts lists), built into one chain per method
 * rather than per call, then the implementation runs with a connect HandlerContext.
 */
export function createMethodHandler(method: DescMethod, impl: AnyImpl, opts: MethodHandlerOptions): NativeHandler {
  const kind = method.methodKind;
  const stream = kind !== "unary";
  const procedure = `${method.parent.typeName}/${method.name}`;
  const output = method.output;
  const service = method.parent;
  const path = `/${procedure}`;

  // A unary implementation is chained with `then`, not awaited: see interceptors/next-call.ts.
  const unaryFn: AnyFn = (req) => {
    const call = req.contextValues.get(callContextKey)!;
    let result: unknown;
    try {
      result = impl(req.message, new NativeHandlerContext(req, call));
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(result).then(
      (value) => ({ service, method, header: call.responseHeader, trailer: call.responseTrailer, stream: false, message: normalize(output, value) }) as UnaryResponse,
    );
  };
  const streamFn: AnyFn = async (req) => {
    const call = req.contextValues.get(callContextKey)!;
    const ctx = new NativeHandlerContext(req, call);
    let message: unknown;
    switch (kind) {
      case "server_streaming":
        message = normalizeAll(output, impl(await single(req.message as AsyncIterable<Message>), ctx));
        break;
      case "client_streaming":
        message = once(normalize(output, await impl(req.message, ctx)));
        break;
      case "bidi_streaming":
        message = normalizeAll(output, impl(req.message, ctx));
        break;
    }
    return { service, method, header: call.responseHeader, trailer: call.responseTrailer, stream: true, message } as StreamResponse;
  };
  let chain = kind === "unary" ? unaryFn : streamFn;
  for (const interceptor of [...opts.interceptors].reverse()) chain = interceptor(chain as never) as unknown as AnyFn;

  function start(call: ServerSurfaceCall): { context: CallContext; req: NativeRequest; ended: () => void } {
    // grpc-js builds the peer's name anew on every getPeer().
    const peer = call.getPeer();
    const ended = opts.onCall(peer, path);
    const context = new CallContext(call, peer, stream, opts.shutdownSignal);
    context.values.set(callContextKey, context).set(callAbortedKey, context);
    const req = new NativeRequest(service, method, stream, "http://" + call.getHost() + path, context);
    return { context, req, ended };
  }

  /** Whatever escaped the error interceptor (authentication runs outside it) still leaves with a catalog reason. */
  function failure(e: unknown): ConnectError {
    if (!(e instanceof ConnectError)) {
      opts.logger.error({ err: e, procedure }, "unexpected failure");
      return reasonError("INTERNAL", "internal error");
    }
    if ((e.code === Code.Internal || e.code === Code.Unknown) && e.findDetails(ErrorInfoSchema).length === 0) return reasonError("INTERNAL", "internal error");
    return e;
  }

  if (kind === "unary" || kind === "client_streaming") {
    return (call: ServerUnaryCall<Message | Undecodable, Message> | ServerReadableStream<Message | Undecodable, Message>, callback?: sendUnaryData<Message>) => {
      const { context, req, ended } = start(call);
      const done = callback!;
      if (kind === "unary") {
        const request = (call as ServerUnaryCall<Message | Undecodable, Message>).request;
        if (request instanceof Undecodable) {
          // As on the main port, a body that does not decode is refused before any interceptor runs.
          const arrived = performance.now();
          const error = requestErrorOf(request.cause, method.input, opts.maxRequestBytes);
          opts.logger.warn({ rid: requestIdOf(context.header.get("x-request-id")), procedure, code: Code[error.code], ms: Math.round((performance.now() - arrived) * 10) / 10 }, "rpc");
          opts.onRefused(procedure, error.code);
          context.finish();
          ended();
          done(statusOf(error, new Headers()));
          return;
        }
        req.message = request;
      } else {
        req.message = messagesOf(readerOf(call as ServerReadableStream<Message | Undecodable, Message>));
      }
      chain(req as UnaryRequest | StreamRequest).then(
        (res) =>
          res.stream
            ? first(res.message).then((message) => reply(call, context, ended, done, res, message))
            : reply(call, context, ended, done, res, res.message),
        (e: unknown) => {
          context.finish();
          ended();
          call.sendMetadata(metadataOf(context.responseHeader));
          done(statusOf(failure(e), context.responseTrailer));
        },
      );
    };
  }

  return (call: ServerWritableStream<Message | Undecodable, Message> | ServerDuplexStream<Message | Undecodable, Message>) => {
    const { context, req, ended } = start(call);
    req.message =
      kind === "server_streaming"
        ? messagesOf([(call as ServerWritableStream<Message | Undecodable, Message>).request])
        : messagesOf(readerOf(call as ServerDuplexStream<Message | Undecodable, Message>));
    let headerSent = false;
    const sendHeader = (header: Headers) => {
      if (headerSent) return;
      headerSent = true;
      call.sendMetadata(metadataOf(header));
    };
    const run = async () => {
      const res = (await chain(req as StreamRequest)) as StreamResponse;
      sendHeader(res.header);
      // The implementation alone decides how a stream ends (on shutdown, with SHUTTING_DOWN and a
      // cursor): stopping here when the signal aborts would end it with OK.
      for await (const message of res.message) {
        if (!call.write(message)) await drained(call, context.signal);
      }
      return res.trailer;
    };
    run().then(
      (trailer: Headers) => {
        context.finish();
        ended();
        if (!call.cancelled) call.end(metadataOf(trailer) as Metadata);
      },
      (e: unknown) => {
        context.finish();
        ended();
        if (call.cancelled) return;
        sendHeader(context.responseHeader);
        call.emit("error", statusOf(failure(e), context.responseTrailer));
      },
    );
  };
}

/**
 * Sends a unary or client-streaming call's response. A module function rather than a closure
 * made per call: tsx (esbuild's keepNames) names every closure bound to a name when it is made.
 */
function reply(call: ServerSurfaceCall & { sendMetadata(metadata: Metadata): void }, context: CallContext, ended: () => void, done: sendUnaryData<Message>, res: UnaryResponse | StreamResponse, message: Message): void {
  context.finish();
  ended();
  call.sendMetadata(metadataOf(res.header));
  done(null, message, trailerOf(res.trailer));
}

/** Resolves once grpc-js has room for more, or the call is over (a cancelled call never drains). */
function drained(call: ServerSurfaceCall, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The request messages as the handler reads them; an undecodable one fails the read, as on the main port. */
async function* messagesOf(source: AsyncIterable<Message | Undecodable> | Iterable<Message | Undecodable>): AsyncGenerator<Message> {
  for await (const message of source) {
    if (message instanceof Undecodable) throw message.cause;
    yield message;
  }
}

/**
 * The request messages of a client or bidi stream. Iterating a stream destroys it once it
 * ends, and a duplex call destroyed would never send its responses' status.
 */
function readerOf(call: ServerReadableStream<Message | Undecodable, Message> | ServerDuplexStream<Message | Undecodable, Message>): AsyncIterable<Message | Undecodable> {
  return { [Symbol.asyncIterator]: () => call.iterator({ destroyOnReturn: false }) as AsyncIterator<Message | Undecodable> };
}

/** Exactly one request message, as connect requires of a server-streaming call. */
async function single(messages: AsyncIterable<Message>): Promise<Message> {
  const it = messages[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) throw new ConnectError("protocol error: missing input message", Code.Unimplemented);
  const tail = await it.next();
  if (!tail.done) throw new ConnectError("protocol error: received extra input message", Code.Unimplemented);
  return head.value;
}

async function first(messages: AsyncIterable<Message>): Promise<Message> {
  for await (const message of messages) return message;
  throw new ConnectError("protocol error: missing output message", Code.Internal);
}

async function* once(message: Message): AsyncGenerator<Message> {
  yield message;
}

function normalize(schema: DescMessage, value: unknown): Message {
  return isMessage(value, schema) ? value : create(schema, value as never);
}

async function* normalizeAll(schema: DescMessage, values: AsyncIterable<unknown>): AsyncGenerator<Message> {
  for await (const value of values) yield normalize(schema, value);
}

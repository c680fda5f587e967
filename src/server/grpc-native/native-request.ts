import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ContextValues, HandlerContext, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import type { CallContext } from "./call-context.js";

/**
 * A native call's request as the connect interceptors see it (a UnaryRequest or StreamRequest).
 * Its signal is read through from the call context, which makes it only when first read: an
 * interceptor that only asks whether the call was aborted uses callAbortedKey instead. Classes,
 * not object literals, because V8 makes literals with getters slowly and every call makes one
 * of each. A spread of this request (`{ ...req }`) loses the getter: copy `signal` explicitly.
 */
export class NativeRequest {
  readonly requestMethod = "POST";
  readonly header: Headers;
  readonly contextValues: ContextValues;
  message: unknown = undefined;
  readonly #context: CallContext;

  constructor(
    readonly service: DescService,
    readonly method: DescMethod,
    readonly stream: boolean,
    readonly url: string,
    context: CallContext,
  ) {
    this.header = context.header;
    this.contextValues = context.values;
    this.#context = context;
  }

  get signal(): AbortSignal {
    return this.#context.signal;
  }
}

/** The HandlerContext of a native call, its signal read through from the request (which may be a spread copy). */
export class NativeHandlerContext implements HandlerContext {
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  readonly service: DescService;
  readonly method: DescMethod;
  readonly url: string;
  readonly requestHeader: Headers;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
  readonly values: ContextValues;
  readonly #req: UnaryRequest | StreamRequest;
  readonly #context: CallContext;

  constructor(req: UnaryRequest | StreamRequest, context: CallContext) {
    this.service = req.service;
    this.method = req.method;
    this.url = req.url;
    this.requestHeader = req.header;
    this.responseHeader = context.responseHeader;
    this.responseTrailer = context.responseTrailer;
    this.values = req.contextValues;
    this.#req = req;
    this.#context = context;
  }

  get signal(): AbortSignal {
    return this.#req.signal;
  }

  timeoutMs(): number | undefined {
    return this.#context.timeoutMs();
  }
}

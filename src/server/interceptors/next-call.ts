import type { StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";

type Next = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

/**
 * `next(req)`, always as a promise: an interceptor further in that throws before returning one
 * is rejected here, as an async function would have made of it. The interceptors that follow a
 * call's outcome are plain functions chaining with `then` rather than async functions: while the
 * call scope's async hooks are on (domain/call-scope.ts), every promise a call makes is paid for,
 * and an `await` makes two where a `then` makes one.
 */
export function nextOf(next: Next, req: UnaryRequest | StreamRequest): Promise<UnaryResponse | StreamResponse> {
  try {
    return next(req);
  } catch (e) {
    return Promise.reject(e);
  }
}

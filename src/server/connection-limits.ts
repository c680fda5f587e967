/** What one connection may cost before the server closes it, on every port. */
export interface ConnectionLimits {
  /** From accept until the client shows its protocol: an HTTP/1.1 request line, or the HTTP/2 preface and SETTINGS. */
  firstBytesTimeoutMs: number;
  /** HTTP/1.1: from a request's first byte until its headers are complete. */
  headersTimeoutMs: number;
  /**
   * From a request's start until the whole request (headers and body) has arrived. Responses are
   * not timed, so server streams (WatchSession, WatchEvents, Health/Watch) stay open.
   */
  requestTimeoutMs: number;
  /** HTTP/1.1: how long a connection may wait for its next request. */
  keepAliveTimeoutMs: number;
  /** HTTP/2: how long a connection may stay with no open stream. Slow headers count as none. */
  http2IdleTimeoutMs: number;
  /** Open connections per process, both ports together. */
  maxConnections: number;
  /** Advertised in SETTINGS_MAX_CONCURRENT_STREAMS on every HTTP/2 connection. */
  maxConcurrentStreams: number;
}

export const defaultConnectionLimits: ConnectionLimits = {
  firstBytesTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  http2IdleTimeoutMs: 60_000,
  // Below the common 1,024 open-file limit, with room for the store's pool and the process's own files.
  maxConnections: 900,
  // Clients such as connect-node queue streams beyond this on one connection rather than open
  // another, so a backend watching many sessions over one channel would stall: not 100, but bounded.
  maxConcurrentStreams: 1_000,
};

/** What failed authentication may cost the server, and how long an accepted API key is trusted. */
export interface AuthLimits {
  /** Failed authentications a source may make in a row before it must wait. */
  failureBurst: number;
  /** How fast that allowance comes back: one failure every 60 / this seconds. */
  failuresPerMinute: number;
  /** Sources remembered for the back-off and the log limit; the least recent are forgotten first. */
  trackedSources: number;
  /**
   * Proxies in front of the server that append to X-Forwarded-For. 0: the peer address is the
   * source. n: the n-th entry from the right is, as the outermost trusted proxy saw it.
   */
  trustedProxyHops: number;
  /** Failed authentications logged per source per minute; the rest only counted. */
  failureLogsPerSource: number;
  /** Failed authentications logged per minute, all sources together. */
  failureLogLines: number;
  /** How long an API key found in the store is used without asking again: how long a removed key may still work. */
  apiKeyCacheMs: number;
}

export const defaultAuthLimits: AuthLimits = {
  // A client with a wrong key fails every call; twenty tries is plenty to notice, and one every
  // six seconds afterwards keeps store lookups and log lines from an attacker negligible.
  failureBurst: 20,
  failuresPerMinute: 10,
  trackedSources: 10_000,
  trustedProxyHops: 0,
  failureLogsPerSource: 5,
  failureLogLines: 100,
  apiKeyCacheMs: 10_000,
};

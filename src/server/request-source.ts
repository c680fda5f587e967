import { createContextKey } from "@connectrpc/connect";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest, Http2Session } from "node:http2";
import { isIP } from "node:net";

/** The address of the connection's peer, set by the node adapter on every request. */
export const peerAddressKey = createContextKey<string | undefined>(undefined, { description: "peer address" });

const sessionPeers = new WeakMap<Http2Session, string>();

/**
 * On the shared port an HTTP/2 session reads through the first-bytes relay, which Node wraps in
 * a socket of its own that knows no peer; the HTTP/2 server records the peer here instead.
 */
export function rememberPeer(session: Http2Session, address: string | undefined): void {
  if (address) sessionPeers.set(session, address);
}

export function peerAddressOf(req: IncomingMessage | Http2ServerRequest): string | undefined {
  const session = "stream" in req ? req.stream.session : undefined;
  return (session && sessionPeers.get(session)) ?? req.socket.remoteAddress;
}

/**
 * Whom a failed authentication is charged to. The peer address, unless `trustedHops` proxies
 * are trusted: each appends the address it received from to X-Forwarded-For, so the
 * `trustedHops`-th entry from the right is the client as the outermost trusted proxy saw it.
 * Entries further left were written by the client and prove nothing; with no proxy trusted the
 * header is ignored, so a client cannot choose its own source.
 */
export function sourceOf(peer: string | undefined, forwardedFor: string | null, trustedHops: number): string {
  let address = peer ?? "unknown";
  if (trustedHops > 0 && forwardedFor) {
    const entries = forwardedFor.split(",").map((e) => e.trim());
    const entry = entries[Math.max(0, entries.length - trustedHops)];
    if (entry && isIP(entry)) address = entry;
  }
  return sourceKey(address);
}

/**
 * IPv4-mapped IPv6 counts as its IPv4 address. Other IPv6 addresses count by their /64: one
 * subscriber usually holds a whole /64, and could otherwise change address at every attempt.
 */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  return `${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, "::" expanded, each without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const parts = (s: string) => (s ? s.split(":") : []);
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  // A trailing dotted IPv4 part stands for two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const zeros = Array<string>(8 - width(left) - width(right)).fill("0");
  return [...left, ...zeros, ...right].map((g) => (g.includes(".") ? g : parseInt(g, 16).toString(16)));
}

import http2, { type Http2Session, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { rememberPeer } from "./request-source.js";
import { holdsConnection, type Connection } from "./connection-gate.js";
import type { ConnectionLimits } from "./connection-limits.js";
import type { RequestHandler } from "./one-port.js";

/** Node's cleartext HTTP/2 server, fed connections a port has already accepted. */
export interface Http2Server {
  /** Hands over a socket, or a relay standing in for one, whose client speaks HTTP/2. */
  adopt(socket: Duplex, connection: Connection): void;
  /** Sends GOAWAY on every session: no new streams, current ones finish. */
  closeSessions(): void;
}

/**
 * Node's own flood protections stay at their defaults, none disabled: maxSessionInvalidFrames
 * (1,000), maxSessionRejectedStreams (100), maxOutstandingPings (10), maxSettings (32),
 * maxHeaderListPairs (128), maxSessionMemory (10 MB).
 */
export function createHttp2Server(handler: RequestHandler, limits: ConnectionLimits): Http2Server {
  const server = http2.createServer(
    { settings: { maxConcurrentStreams: limits.maxConcurrentStreams } },
    // The cast only reconciles the two listener signatures; NodeHandlerFn accepts both request kinds.
    handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  const sessions = new Set<Http2Session>();
  let adopting: { connection: Connection; peer: string | undefined } | undefined;
  // Node creates the session synchronously inside the 'connection' event, so it belongs to the
  // connection being adopted.
  server.on("session", (session: ServerHttp2Session) => {
    if (!adopting) return;
    const { connection, peer } = adopting;
    rememberPeer(session, peer);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    guard(session, connection, limits);
  });
  return {
    adopt(socket, connection) {
      adopting = { connection, peer: (socket as Partial<Socket>).remoteAddress };
      try {
        server.emit("connection", socket);
      } finally {
        adopting = undefined;
      }
    },
    closeSessions: () => sessions.forEach((s) => s.close()),
  };
}

/**
 * The idle timer runs only while no stream is open, so a quiet server stream is never cut, and a
 * client trickling its headers has no stream yet. Each request must arrive whole within the
 * request timeout; its response may take as long as it likes.
 */
function guard(session: ServerHttp2Session, connection: Connection, limits: ConnectionLimits): void {
  // The client preface ends with the client's SETTINGS frame.
  session.once("remoteSettings", () => connection.greeted());
  // No stream is open, so nothing is cut; destroy sends GOAWAY first. (close() would wait for a
  // half-received HEADERS frame, which is what a slow client holds.)
  const idle = () => setTimeout(() => session.destroy(), limits.http2IdleTimeoutMs);
  let idleTimer: NodeJS.Timeout | undefined = idle();
  let open = 0;
  let holding = 0;
  session.on("stream", (stream, headers) => {
    if (open++ === 0) clearTimeout(idleTimer);
    const holds = holdsConnection(headers[":path"]);
    if (holds && holding++ === 0) connection.busy();
    const requestTimer = stream.endAfterHeaders
      ? undefined
      : setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), limits.requestTimeoutMs);
    stream.once("end", () => clearTimeout(requestTimer));
    stream.once("close", () => {
      clearTimeout(requestTimer);
      if (holds && --holding === 0) connection.done();
      if (--open > 0) return;
      if (!session.closed) idleTimer = idle();
    });
  });
  session.once("close", () => clearTimeout(idleTimer));
}

import type { connectNodeAdapter } from "@connectrpc/connect-node";
import http from "node:http";
import http2, { type Http2Session } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import { readFirstBytes } from "./first-bytes.js";
import { createReplayRelay } from "./replay-relay.js";

/** A request listener that works for both http and http2 servers. */
export type RequestHandler = ReturnType<typeof connectNodeAdapter>;

export interface OnePortServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

/**
 * HTTP/1.1 and cleartext HTTP/2 on one port. Node's http2 server refuses HTTP/1.1 without TLS,
 * so each connection's first bytes decide which server gets it.
 */
export function createOnePortServer(handler: RequestHandler): OnePortServer {
  // The casts only reconcile the two listener signatures; NodeHandlerFn accepts both request kinds.
  const h1 = http.createServer(handler as unknown as http.RequestListener);
  const h2 = http2.createServer({}, handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const sockets = new Set<Socket>();
  const h2Sessions = new Set<Http2Session>();
  h2.on("session", (session) => {
    h2Sessions.add(session);
    session.once("close", () => h2Sessions.delete(session));
  });

  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // Responses go out in several writes (headers, messages, trailers); with Nagle's algorithm on,
    // the last one waits for the client's delayed ACK, 40 ms on Linux.
    socket.setNoDelay(true);
    readFirstBytes(socket, (protocol, head) => {
      if (protocol === "h2") return void h2.emit("connection", createReplayRelay(socket, head));
      socket.unshift(head);
      h1.emit("connection", socket);
      socket.resume();
    });
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        front.once("error", reject);
        front.listen(port, host, () => {
          front.off("error", reject);
          resolve(front.address() as AddressInfo);
        });
      });
    },
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const session of h2Sessions) session.close(); // GOAWAY: no new streams, current ones finish
      h1.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      const idle = setInterval(() => h1.closeIdleConnections(), 50);
      await closed;
      clearTimeout(deadline);
      clearInterval(idle);
    },
  };
}

import type { connectNodeAdapter } from "@connectrpc/connect-node";
import http from "node:http";
import http2, { type Http2Session } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import { Duplex } from "node:stream";

/** A request listener that works for both http and http2 servers. */
export type RequestHandler = ReturnType<typeof connectNodeAdapter>;

export interface OnePortServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

// Every cleartext HTTP/2 connection with prior knowledge (what gRPC clients use) opens with this.
const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

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
    socket.once("data", (chunk: Buffer) => {
      const head = chunk.subarray(0, h2Preface.length);
      if (head.length > 0 && h2Preface.subarray(0, head.length).equals(head)) {
        h2.emit("connection", replayFirstChunk(socket, chunk));
      } else {
        socket.pause();
        socket.unshift(chunk);
        h1.emit("connection", socket);
        socket.resume();
      }
    });
    socket.on("error", () => socket.destroy());
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

/**
 * The http2 server reads straight from the socket's native handle, so bytes already read and
 * unshifted would be lost to it. It gets a duplex that replays the first chunk, then relays.
 */
function replayFirstChunk(socket: Socket, first: Buffer): Duplex {
  const relay = new Duplex({
    read: () => void socket.resume(),
    write: (chunk, encoding, callback) => void socket.write(chunk, encoding, callback),
    final: (callback) => void socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  relay.push(first);
  socket.on("data", (chunk) => {
    if (!relay.push(chunk)) socket.pause();
  });
  socket.once("end", () => relay.push(null));
  socket.once("close", () => relay.destroy());
  return relay;
}

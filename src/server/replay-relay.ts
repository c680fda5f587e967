import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * The http2 server reads straight from a socket's native handle, so bytes already read to choose
 * the protocol, and unshifted, would be lost to it. It gets a duplex that replays them, then relays.
 */
export function createReplayRelay(socket: Socket, head: Buffer): Duplex {
  const relay = new Duplex({
    read: () => void socket.resume(),
    write: (chunk, encoding, callback) => void socket.write(chunk, encoding, callback),
    final: (callback) => void socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  // Stands in for the socket, so it can tell the HTTP/2 server whom it is connected to.
  Object.defineProperty(relay, "remoteAddress", { get: () => socket.remoteAddress });
  relay.push(head);
  socket.on("data", (chunk) => {
    if (!relay.push(chunk)) socket.pause();
  });
  socket.once("end", () => relay.push(null));
  socket.once("close", () => relay.destroy());
  return relay;
}

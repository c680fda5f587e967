import type { Socket } from "node:net";

export type Protocol = "http/1.1" | "h2";

// Every cleartext HTTP/2 connection with prior knowledge (what gRPC clients use) opens with this.
const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * The protocol a connection speaks, or undefined while its bytes are still a strict prefix of the
 * HTTP/2 preface: a lone "P" may yet become "POST" as well as "PRI".
 */
export function protocolOf(head: Buffer): Protocol | undefined {
  const n = Math.min(head.length, h2Preface.length);
  if (!head.subarray(0, n).equals(h2Preface.subarray(0, n))) return "http/1.1";
  return head.length >= h2Preface.length ? "h2" : undefined;
}

/**
 * Reads until the first bytes decide the protocol, however they are split into segments, then
 * pauses the socket and hands over everything read. The gate's first-bytes deadline bounds the wait.
 */
export function readFirstBytes(socket: Socket, decided: (protocol: Protocol, head: Buffer) => void): void {
  let head: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const protocol = protocolOf(head);
    if (!protocol) return;
    socket.off("data", onData);
    socket.pause();
    decided(protocol, head);
  };
  socket.on("data", onData);
}

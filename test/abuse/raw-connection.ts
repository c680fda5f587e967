import net from "node:net";

/** A plain TCP client that records what it receives and when the server closes it. */
export interface RawConnection {
  socket: net.Socket;
  received(): Buffer;
  closed(): boolean;
  /** True when the server closes the connection within `ms`. */
  closedWithin(ms: number): Promise<boolean>;
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  const chunks: Buffer[] = [];
  let isClosed = false;
  const closing = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  void closing.then(() => (isClosed = true));
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {}); // a reset is one way of being closed
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed: () => isClosed,
    async closedWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
      const result = await Promise.race([closing.then(() => true), late]);
      clearTimeout(timer);
      return result;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The client connection preface: the magic string and an empty SETTINGS frame. */
export const http2Preface = Buffer.concat([
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]),
]);

/**
 * Bytes that later versions extend: a run of a list's encoded items (shared-encoding.ts) grows
 * by the newest items with every version of the session. Copying the whole run into a new array
 * each time would cost the history again, so runs of one list share a buffer with room to grow,
 * and a run is extended in place when nothing has been written after it yet. A run's own bytes
 * never change: one that another run has already extended (two versions written from the same
 * one) is copied instead, as is one whose buffer is full.
 */
export class GrowingBytes {
  /** This run's bytes: a view of the shared buffer. */
  readonly bytes: Uint8Array;

  private constructor(
    private readonly shared: { buffer: Uint8Array; used: number },
    length: number,
  ) {
    this.bytes = shared.buffer.subarray(0, length);
  }

  static of(bytes: Uint8Array): GrowingBytes {
    return GrowingBytes.copied(new Uint8Array(0), bytes);
  }

  /** These bytes followed by `tail`. */
  append(tail: Uint8Array): GrowingBytes {
    const { shared, bytes } = this;
    const length = bytes.byteLength + tail.byteLength;
    if (shared.used !== bytes.byteLength || length > shared.buffer.byteLength) return GrowingBytes.copied(bytes, tail);
    shared.buffer.set(tail, bytes.byteLength);
    shared.used = length;
    return new GrowingBytes(shared, length);
  }

  private static copied(head: Uint8Array, tail: Uint8Array): GrowingBytes {
    const length = head.byteLength + tail.byteLength;
    const buffer = new Uint8Array(2 * length); // room for as much again: copies stay rare as a run grows
    buffer.set(head);
    buffer.set(tail, head.byteLength);
    return new GrowingBytes({ buffer, used: length }, length);
  }
}

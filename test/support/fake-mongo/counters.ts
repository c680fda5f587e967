/**
 * What a benchmark or a round-trip test measures: every command in order (as
 * "collection.command"), each collection's own list (bare command names), and the BSON bytes
 * sent and received.
 */
export interface Counters {
  readonly commands: string[];
  commandsOf(collection: string): string[];
  readonly bytesSent: number;
  readonly bytesReceived: number;
  sent(collection: string, command: string, bytes: number): void;
  received(bytes: number): void;
  reset(): void;
}

export function createCounters(): Counters {
  const commands: string[] = [];
  const perCollection = new Map<string, string[]>();
  let bytesSent = 0;
  let bytesReceived = 0;
  const listOf = (collection: string) => {
    let list = perCollection.get(collection);
    if (!list) perCollection.set(collection, (list = []));
    return list;
  };
  return {
    commands,
    commandsOf: listOf,
    get bytesSent() {
      return bytesSent;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    sent(collection, command, bytes) {
      commands.push(`${collection}.${command}`);
      listOf(collection).push(command);
      bytesSent += bytes;
    },
    received(bytes) {
      bytesReceived += bytes;
    },
    // In place, so lists a test already holds keep counting.
    reset() {
      commands.length = 0;
      for (const list of perCollection.values()) list.length = 0;
      bytesSent = 0;
      bytesReceived = 0;
    },
  };
}

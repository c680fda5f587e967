import { Timestamp } from "mongodb";
import { indexDeclarations } from "../../src/store/mongo/indexes.js";
import { createMongoStore, type MongoStore, type MongoStoreOptions } from "../../src/store/mongo/mongo-store.js";
import { createFakeMongo, type FakeMongo, type FakeMongoOptions } from "./fake-mongo/index.js";

const start = { t: 1_800_000_000, i: 1 };

/** A fake replica set with the store's indexes declared, as ensureIndexes leaves a real one. */
export function createFakeDatabase(opts: FakeMongoOptions = {}): FakeMongo {
  const fake = createFakeMongo({ startTime: start, ...opts });
  fake.declareIndexes(indexDeclarations({ eventRetentionSeconds: 7 * 86_400 }));
  return fake;
}

/** One service replica's MongoDB store over the shared fake server, its feed started. */
export async function startFakeReplica(fake: FakeMongo, opts: Partial<MongoStoreOptions> = {}): Promise<MongoStore> {
  const collection = (name: string) => fake.collection(name);
  const store = createMongoStore({
    collections: {
      sessions: collection("sessions"),
      events: collection("events"),
      apiKeys: collection("apiKeys"),
      identityLinks: collection("identityLinks"),
      configurations: collection("configurations"),
      feedState: collection("feedState"),
    },
    ping: async () => {},
    operationTime: async () => fake.clusterTime ?? new Timestamp({ t: start.t, i: 0 }),
    retryMs: 20,
    ...opts,
  });
  await store.feed.start();
  return store;
}

import { MongoClient } from "mongodb";
import { randomUUID } from "node:crypto";
import { describe } from "vitest";
import { indexDeclarations } from "../../src/store/mongo/indexes.js";
import { createMongoStore, ensureIndexes } from "../../src/store/mongo/mongo-store.js";
import { createFakeCollection } from "../support/mingo-collection.js";
import { describeStoreContract } from "./store-contract.js";

const declared = indexDeclarations({ eventRetentionSeconds: 7 * 86_400 });
const indexesOf = (name: string) => declared.filter((i) => i.collection === name);

/**
 * The whole store contract against the MongoDB store, its queries executed by mingo over
 * in-memory documents, with the declared unique indexes enforced. Events use the polling feed,
 * as on a standalone server.
 */
describeStoreContract("mongo (queries run by mingo)", async () => {
  const store = createMongoStore({
    collections: {
      sessions: createFakeCollection(indexesOf("sessions")).collection,
      events: createFakeCollection(indexesOf("events")).collection,
      apiKeys: createFakeCollection(indexesOf("apiKeys")).collection,
      identityLinks: createFakeCollection(indexesOf("identityLinks")).collection,
      configurations: createFakeCollection(indexesOf("configurations")).collection,
    },
    ping: async () => {},
    isReplicaSet: async () => false,
    feedMode: "poll",
  });
  await store.feed.start();
  return store;
});

/** The same contract against a real server, whenever MONGODB_URI is set: a fresh database per run. */
const uri = process.env["MONGODB_URI"];
describe.skipIf(!uri)("against a real MongoDB (MONGODB_URI)", () => {
  describeStoreContract("mongo (real server)", async () => {
    const client = await MongoClient.connect(uri!);
    const db = client.db(`sessionflow_test_${randomUUID().slice(0, 8)}`);
    await ensureIndexes(db, 7 * 86_400);
    const hello = await db.admin().command({ hello: 1 });
    const store = createMongoStore({
      collections: {
        sessions: db.collection("sessions"),
        events: db.collection("events"),
        apiKeys: db.collection("apiKeys"),
        identityLinks: db.collection("identityLinks"),
        configurations: db.collection("configurations"),
      },
      ping: async () => void (await db.command({ ping: 1 })),
      isReplicaSet: async () => Boolean(hello["setName"]),
      close: async () => {
        await db.dropDatabase();
        await client.close();
      },
    });
    await store.feed.start();
    return store;
  });
});

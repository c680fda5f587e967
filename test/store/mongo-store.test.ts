import { MongoClient } from "mongodb";
import { randomUUID } from "node:crypto";
import { describe } from "vitest";
import { createMongoStore, ensureIndexes } from "../../src/store/mongo/mongo-store.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";
import { describeStoreContract } from "./store-contract.js";

/**
 * The whole store contract against the MongoDB store on the fake replica set (queries run by
 * mingo, unique indexes, update operators and change streams as a server has them), once with
 * instant commits and once with writes that commit and reply after random delays.
 */
describeStoreContract("mongo (fake replica set)", () => startFakeReplica(createFakeDatabase()));
describeStoreContract("mongo (fake replica set, random commit latency)", () =>
  startFakeReplica(createFakeDatabase({ commitLatencyMs: [0, 3], replyLatencyMs: [0, 2] })),
);

/** The same contract against a real server, whenever MONGODB_URI is set: a fresh database per run. */
const uri = process.env["MONGODB_URI"];
describe.skipIf(!uri)("against a real MongoDB (MONGODB_URI)", () => {
  describeStoreContract("mongo (real server)", async () => {
    const client = await MongoClient.connect(uri!);
    const db = client.db(`sessionflow_test_${randomUUID().slice(0, 8)}`);
    await ensureIndexes(db, 7 * 86_400);
    const store = createMongoStore({
      collections: {
        sessions: db.collection("sessions"),
        events: db.collection("events"),
        apiKeys: db.collection("apiKeys"),
        identityLinks: db.collection("identityLinks"),
        configurations: db.collection("configurations"),
        feedState: db.collection("feedState"),
      },
      ping: async () => void (await db.command({ ping: 1 })),
      operationTime: async () => (await db.admin().command({ hello: 1 }))["operationTime"],
      close: async () => {
        await db.dropDatabase();
        await client.close();
      },
    });
    await store.feed.start();
    return store;
  });
});

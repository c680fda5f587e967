import { MongoClient } from "mongodb";
import type { Logger } from "pino";
import type { MongoConfig } from "../../config.js";
import { createMongoStore, ensureIndexes, type MongoStore } from "./mongo-store.js";

/**
 * Connects, creates and awaits every index, and starts the event feed. Any failure here is
 * a start-up failure with a message that says what to fix; nothing runs half-configured.
 */
export async function connectMongoStore(config: MongoConfig, logger: Logger): Promise<MongoStore> {
  const client = new MongoClient(config.uri, {
    maxPoolSize: config.maxPoolSize,
    writeConcern: { w: config.writeConcern },
    serverSelectionTimeoutMS: 5_000,
    ignoreUndefined: true,
  });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`cannot reach MongoDB at MONGODB_URI: ${(e as Error).message}`);
  }
  const db = client.db(config.database);
  await ensureIndexes(db, config.eventRetentionSeconds);
  const store = createMongoStore({
    collections: {
      sessions: db.collection("sessions"),
      events: db.collection("events"),
      apiKeys: db.collection("apiKeys"),
      identityLinks: db.collection("identityLinks"),
      configurations: db.collection("configurations"),
    },
    ping: async () => {
      await db.command({ ping: 1 }, { timeoutMS: 2_000 });
    },
    isReplicaSet: async () => {
      const hello = await db.admin().command({ hello: 1 });
      return Boolean(hello["setName"]) || hello["msg"] === "isdbgrid";
    },
    feedMode: config.feedMode,
    retentionMs: config.sessionRetentionDays * 86_400_000,
    close: () => client.close(),
    logger,
  });
  await store.feed.start();
  logger.info({ database: config.database, feed: store.feed.mode }, "connected to MongoDB");
  return store;
}

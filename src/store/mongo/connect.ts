import { MongoClient, Timestamp, type Db } from "mongodb";
import type { Logger } from "pino";
import type { MongoConfig } from "../../config.js";
import { createMongoStore, ensureIndexes, type MongoStore } from "./mongo-store.js";

/**
 * Connects, checks the deployment can carry the event feed, creates and awaits every index,
 * and starts the feed. Any failure here is a start-up failure with a message that says what to
 * fix; nothing runs half-configured.
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
  try {
    await requireChangeStreams(db);
    await ensureIndexes(db, config.eventRetentionSeconds);
  } catch (e) {
    await client.close();
    throw e;
  }
  const store = createMongoStore({
    collections: {
      sessions: db.collection("sessions"),
      events: db.collection("events"),
      apiKeys: db.collection("apiKeys"),
      identityLinks: db.collection("identityLinks"),
      configurations: db.collection("configurations"),
      feedState: db.collection("feedState"),
    },
    ping: async () => {
      await db.command({ ping: 1 }, { timeoutMS: 2_000 });
    },
    operationTime: () => operationTime(db),
    retentionMs: config.sessionRetentionDays * 86_400_000,
    eventRetentionSeconds: config.eventRetentionSeconds,
    close: () => client.close(),
    logger,
  });
  await store.feed.start();
  logger.info({ database: config.database }, "connected to MongoDB");
  return store;
}

/**
 * The event feed is built on change streams, which only replica sets and sharded clusters
 * have. A standalone server is refused rather than served with a feed that could lose events.
 */
export async function requireChangeStreams(db: Pick<Db, "admin">): Promise<void> {
  const hello = await db.admin().command({ hello: 1 });
  if (hello["setName"] || hello["msg"] === "isdbgrid") return;
  throw new Error(
    "MongoDB at MONGODB_URI is a standalone server; Sessionflow's event feed needs change streams, which need a replica set. " +
      "A single-node replica set is enough: start mongod with --replSet rs0 and run rs.initiate() once (docker-compose.yml does both).",
  );
}

/** The cluster time of the newest write the server knows of: where a new feed starts. */
async function operationTime(db: Db): Promise<Timestamp> {
  const hello = await db.admin().command({ hello: 1 });
  const ts = hello["operationTime"] ?? hello["lastWrite"]?.["opTime"]?.["ts"];
  if (!(ts instanceof Timestamp)) throw new Error("MongoDB did not report an operation time; is it a replica set member?");
  return ts;
}

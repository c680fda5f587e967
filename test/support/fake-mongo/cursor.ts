import type { Document } from "mongodb";

export interface FindOptions {
  sort?: Document;
  limit?: number;
  skip?: number;
  projection?: Document;
}

/**
 * The parts of the driver's FindCursor the store uses. Like the driver, nothing is sent until
 * the results are asked for, so chained sort/limit/project are part of the one command.
 */
export interface FakeFindCursor extends AsyncIterable<Document> {
  sort(sort: Document): FakeFindCursor;
  limit(limit: number): FakeFindCursor;
  skip(skip: number): FakeFindCursor;
  project(projection: Document): FakeFindCursor;
  toArray(): Promise<Document[]>;
}

export function createFindCursor(run: (options: FindOptions) => Promise<Document[]>, initial: FindOptions = {}): FakeFindCursor {
  const options: FindOptions = { ...initial };
  const cursor: FakeFindCursor = {
    sort(sort) {
      options.sort = sort;
      return cursor;
    },
    limit(limit) {
      options.limit = limit;
      return cursor;
    },
    skip(skip) {
      options.skip = skip;
      return cursor;
    },
    project(projection) {
      options.projection = projection;
      return cursor;
    },
    toArray: () => run(options),
    async *[Symbol.asyncIterator]() {
      yield* await run(options);
    },
  };
  return cursor;
}

/** The driver's AggregationCursor, as far as toArray and iteration. */
export function createAggregateCursor(run: () => Promise<Document[]>) {
  return {
    toArray: run,
    async *[Symbol.asyncIterator]() {
      yield* await run();
    },
  };
}

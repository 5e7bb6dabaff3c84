import { Query } from 'mingo';
import type { Document } from '../engine/types';
import { collectionName, optionalBoolean, optionalDocument, optionalNumber } from './arguments';
import { cursorReply } from './batches';
import type { CommandHandler } from './context';
import { refuseOptions } from './refusals';

/** Options of `create` that change what a collection is; the store only has plain collections. */
const UNSUPPORTED_CREATE_OPTIONS = [
  'capped',
  'viewOn',
  'pipeline',
  'timeseries',
  'clusteredIndex',
  'validator',
  'changeStreamPreAndPostImages',
  'encryptedFields',
  'collation',
] as const;

const listDatabases: CommandHandler = ({ command, server }) => {
  const filter = optionalDocument(command, 'filter');
  const nameOnly = optionalBoolean(command, 'nameOnly', false);
  let databases: Document[] = server.engine.listDatabases().map((info) => ({ ...info }));
  if (filter) {
    const query = new Query(filter);
    databases = databases.filter((database) => query.test(database));
  }
  if (nameOnly) return { databases: databases.map(({ name }) => ({ name })) };
  const totalSize = databases.reduce((sum, database) => sum + Number(database.sizeOnDisk ?? 0), 0);
  return { databases, totalSize, totalSizeMb: Math.round(totalSize / (1024 * 1024)) };
};

const listCollections: CommandHandler = (context) => {
  const { command, db, server } = context;
  const filter = optionalDocument(command, 'filter');
  const nameOnly = optionalBoolean(command, 'nameOnly', false);
  const cursorOptions = optionalDocument(command, 'cursor') ?? {};
  const collections: Document[] = server.engine
    .listCollections(db, filter)
    .map((info) => (nameOnly ? { name: info.name, type: info.type } : { ...info }));
  return cursorReply(context, `${db}.$cmd.listCollections`, collections, {
    batchSize: optionalNumber(cursorOptions, 'batchSize') ?? Number.MAX_SAFE_INTEGER,
  });
};

const create: CommandHandler = ({ command, db, server }) => {
  const collection = collectionName(command);
  refuseOptions(command, UNSUPPORTED_CREATE_OPTIONS, `create`);
  server.engine.createCollection(db, collection);
  return {};
};

const drop: CommandHandler = ({ command, db, server }) => {
  const collection = collectionName(command);
  const exists = server.engine.listCollections(db, { name: collection }).length > 0;
  // mongod 7.0 answers a drop of a missing collection with ok: 1 and no details.
  if (!exists) return {};
  const nIndexesWas = server.engine.listIndexes(db, collection).length;
  server.engine.dropCollection(db, collection);
  return { nIndexesWas, ns: `${db}.${collection}` };
};

const dropDatabase: CommandHandler = ({ db, server }) => {
  server.engine.dropDatabase(db);
  return { dropped: db };
};

const dbStats: CommandHandler = ({ db, server }) => {
  const stats = server.engine.stats(db);
  return {
    db,
    collections: stats.collections,
    views: 0,
    objects: stats.objects,
    avgObjSize: 0,
    dataSize: 0,
    storageSize: 0,
    indexes: stats.indexes,
    indexSize: 0,
    totalSize: 0,
    scaleFactor: 1,
  };
};

const collStats: CommandHandler = ({ command, db, server }) => {
  const collection = collectionName(command);
  const count = server.engine.count(db, collection, {});
  const indexes = server.engine.listCollections(db, { name: collection }).length
    ? server.engine.listIndexes(db, collection)
    : [];
  return {
    ns: `${db}.${collection}`,
    count,
    size: 0,
    avgObjSize: 0,
    storageSize: 0,
    nindexes: indexes.length,
    totalIndexSize: 0,
    indexSizes: Object.fromEntries(indexes.map((index) => [index.name, 0])),
    capped: false,
  };
};

export const databaseCommands: Record<string, CommandHandler> = {
  listDatabases,
  listCollections,
  create,
  drop,
  dropDatabase,
  dbStats,
  dbstats: dbStats,
  collStats,
};

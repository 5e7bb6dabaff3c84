import type { Document, IndexSpec } from '../engine/types';
import { asNumber, collectionName, describeType, requiredArray } from './arguments';
import { cursorReply } from './batches';
import type { CommandHandler } from './context';
import { mongoError } from '../engine/errors';
import { refuseOptions, unsupported } from './refusals';

/** Index options that would change query results or storage in ways the store does not model. */
const UNSUPPORTED_INDEX_OPTIONS = ['collation', 'weights', 'default_language', 'wildcardProjection', 'hidden'] as const;

/** Only ascending and descending keys: text, 2dsphere, hashed and wildcard indexes are refused by name. */
function checkIndexSpec(spec: Document, position: number): IndexSpec {
  const key = spec.key;
  if (typeof key !== 'object' || key === null || Array.isArray(key) || Object.keys(key).length === 0) {
    throw mongoError('BadValue', `createIndexes: index ${position} needs a non-empty 'key' document, got ${describeType(key)}`);
  }
  for (const [field, direction] of Object.entries(key as Document)) {
    const number = asNumber(direction);
    if (typeof direction === 'string') throw unsupported(`The '${direction}' index (on '${field}')`);
    if (number === undefined || number === 0 || Number.isNaN(number)) {
      throw mongoError('BadValue', `createIndexes: key '${field}' of index ${position} must be 1 or -1, got ${String(direction)}`);
    }
    if (field.includes('$**')) throw unsupported(`The wildcard index '${field}'`);
  }
  refuseOptions(spec, UNSUPPORTED_INDEX_OPTIONS, `createIndexes (index ${position})`);
  return spec as unknown as IndexSpec;
}

const createIndexes: CommandHandler = ({ command, db, server }) => {
  const collection = collectionName(command);
  const specs = requiredArray(command, 'indexes').map(checkIndexSpec);
  return { ...server.engine.createIndexes(db, collection, specs) };
};

const listIndexes: CommandHandler = (context) => {
  const { command, db, server } = context;
  const collection = collectionName(command);
  const indexes = server.engine.listIndexes(db, collection).map((index) => ({ ...index }) as Document);
  return cursorReply(context, `${db}.${collection}`, indexes, { batchSize: Number.MAX_SAFE_INTEGER });
};

const dropIndexes: CommandHandler = ({ command, db, server }) => {
  const collection = collectionName(command);
  const index = command.index;
  const valid =
    typeof index === 'string' ||
    (Array.isArray(index) && index.every((name) => typeof name === 'string')) ||
    (typeof index === 'object' && index !== null && !Array.isArray(index));
  if (!valid) {
    throw mongoError(
      'TypeMismatch',
      `dropIndexes: 'index' must be a name, a list of names, a key pattern or '*', got ${describeType(index)}`,
    );
  }
  return { ...server.engine.dropIndexes(db, collection, index as string | string[] | Document) };
};

export const indexCommands: Record<string, CommandHandler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};

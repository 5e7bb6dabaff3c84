import os from 'node:os';
import { validatePipeline } from '../engine/aggregate';
import { mongoError } from '../engine/errors';
import { explainSections, VERBOSITIES, type StageOptions, type Verbosity } from '../engine/explain';
import { Operations } from '../engine/operations';
import type { PlanReport, QueryShape } from '../engine/planner';
import type { Document } from '../engine/types';
import { SERVER_VERSION } from '../protocol/limits';
import { collectionName, commandName, describeType, hintOf, optionalDocument, optionalNonNegative, optionalNumber, requiredArray } from './arguments';
import type { CommandContext, CommandHandler } from './context';
import { unsupported } from './refusals';
import { dataFor } from './transactions';

/**
 * `explain` for find, aggregate and count, in mongod's shape. The store runs the query (as mongod does at
 * executionStats verbosity) and reports what it really did: COLLSCAN when it scanned the collection, IXSCAN under
 * FETCH when an index gave the candidates, SORT when it sorted in memory, and the keys and documents it examined.
 */
function verbosityOf(command: Document): Verbosity {
  const verbosity = command.verbosity ?? 'allPlansExecution';
  if (!VERBOSITIES.includes(verbosity as Verbosity)) {
    throw mongoError('BadValue', `explain: verbosity must be one of ${VERBOSITIES.join(', ')}, got ${JSON.stringify(verbosity)}`);
  }
  return verbosity as Verbosity;
}

function serverInfo(context: CommandContext): Document {
  const port = Number(context.server.host.split(':').pop());
  return { host: os.hostname(), port, version: SERVER_VERSION, gitVersion: 'embedded' };
}

/** The plan of a query on a collection that does not exist: mongod's EOF stage. */
function endOfFile(namespace: string, filter: Document, verbosity: Verbosity): Document {
  const sections: Document = {
    queryPlanner: { namespace, indexFilterSet: false, parsedQuery: filter, winningPlan: { stage: 'EOF' }, rejectedPlans: [] },
  };
  if (verbosity !== 'queryPlanner') {
    sections.executionStats = {
      executionSuccess: true, nReturned: 0, executionTimeMillis: 0, totalKeysExamined: 0, totalDocsExamined: 0,
      executionStages: { stage: 'EOF', nReturned: 0 },
    };
  }
  return sections;
}

function explainQuery(context: CommandContext, inner: Document, collection: string, shape: QueryShape, stages: StageOptions, verbosity: Verbosity): Document {
  const report: PlanReport | null = dataFor(context).explainQuery(context.db, collection, shape);
  const sections = report ? explainSections(report, stages, verbosity) : endOfFile(`${context.db}.${collection}`, shape.filter, verbosity);
  return { explainVersion: '1', ...sections, command: { ...inner, $db: context.db }, serverInfo: serverInfo(context) };
}

function explainFind(context: CommandContext, inner: Document, verbosity: Verbosity): Document {
  const collection = collectionName(inner);
  const limit = optionalNumber(inner, 'limit');
  const shape: QueryShape = {
    filter: optionalDocument(inner, 'filter') ?? {},
    sort: optionalDocument(inner, 'sort'),
    skip: optionalNonNegative(inner, 'skip'),
    limit: limit === undefined ? undefined : Math.abs(limit),
    hint: hintOf(inner, 'find'),
  };
  return explainQuery(context, inner, collection, shape, { projection: optionalDocument(inner, 'projection') }, verbosity);
}

function explainCount(context: CommandContext, inner: Document, verbosity: Verbosity): Document {
  const collection = collectionName(inner);
  const limit = optionalNumber(inner, 'limit');
  const shape: QueryShape = {
    filter: optionalDocument(inner, 'query') ?? {},
    skip: optionalNonNegative(inner, 'skip'),
    limit: limit === undefined ? undefined : Math.abs(limit),
    hint: hintOf(inner, 'count'),
  };
  return explainQuery(context, inner, collection, shape, { count: true }, verbosity);
}

/**
 * An aggregation's leading `$match`, `$sort`, `$skip` and `$limit` run as one query (the `$cursor` stage, as mongod
 * calls it); the stages after it run in memory and are listed as they are. A pipeline that is only those leading
 * stages is explained like a find, as mongod does when it pushes the whole pipeline down to the query layer.
 */
export function explainAggregate(context: CommandContext, inner: Document, verbosity: Verbosity): Document {
  if (inner.aggregate === 1) throw unsupported('explain of a database-level aggregate (aggregate: 1)');
  const collection = collectionName(inner);
  const pipeline = requiredArray(inner, 'pipeline');
  validatePipeline(pipeline);
  const remaining = Operations.remainingStages(pipeline);
  const consumed = pipeline.slice(0, pipeline.length - remaining.length);
  const shape: QueryShape = { filter: {}, hint: hintOf(inner, 'aggregate') };
  for (const stage of consumed) {
    if ('$match' in stage) shape.filter = stage.$match as Document;
    if ('$sort' in stage) shape.sort = stage.$sort as Document;
    if ('$skip' in stage) shape.skip = Number(stage.$skip);
    if ('$limit' in stage) shape.limit = Number(stage.$limit);
  }
  if (remaining.length === 0) return explainQuery(context, inner, collection, shape, {}, verbosity);
  const report = dataFor(context).explainQuery(context.db, collection, shape);
  const cursor = report ? explainSections(report, {}, verbosity) : endOfFile(`${context.db}.${collection}`, shape.filter, verbosity);
  return {
    explainVersion: '1',
    stages: [{ $cursor: cursor }, ...remaining],
    command: { ...inner, $db: context.db },
    serverInfo: serverInfo(context),
  };
}

const explain: CommandHandler = (context) => {
  const inner = context.command.explain;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw mongoError('TypeMismatch', `explain: expected the command to explain as a document, got ${describeType(inner)}`);
  }
  const verbosity = verbosityOf(context.command);
  const name = commandName(inner as Document);
  switch (name) {
    case 'find':
      return explainFind(context, inner as Document, verbosity);
    case 'aggregate':
      return explainAggregate(context, inner as Document, verbosity);
    case 'count':
      return explainCount(context, inner as Document, verbosity);
    default:
      throw unsupported(`explain of '${name}' (the store explains find, aggregate and count)`);
  }
};

export const explainCommands: Record<string, CommandHandler> = { explain };

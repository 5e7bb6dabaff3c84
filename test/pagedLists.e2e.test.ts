import mongoose from 'mongoose';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../platform/identity';
import { stagesOf } from '../subgraphs/kit/testing';
import { startCityGraph, type CityGraph } from './support/cityGraph';

/**
 * Every paged list of every agency, with each of its filters, is served by an index: the test runs each list
 * through the gateway as the role that may read it, notes every query the subgraphs send for it (the page and
 * its count, as the kit's paginate builds them), and asks the store to explain each one. A collection scan or
 * an in-memory sort of the whole filter's matches is a failure naming the list, its arguments and the query.
 */
const KELURAHAN = '35.71.01.1005';

/** An enum value, written bare in the document. */
const enumValue = (name: string) => ({ enumValue: name });

/** An argument as a GraphQL literal. */
function literal(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'enumValue' in value) return String(value.enumValue);
  return JSON.stringify(value);
}

interface PagedList {
  role: Role;
  field: string;
  /** Each set of arguments is one request; the first page and the next are both explained. */
  argumentSets: Record<string, unknown>[];
}

const PAGED_LISTS: PagedList[] = [
  {
    role: 'agency:branding',
    field: 'prodamasProposals',
    argumentSets: [{ kelurahanCode: KELURAHAN }, { year: 2023 }, { kelurahanCode: KELURAHAN, year: 2023 }, { field: enumValue('HEALTH') }, { status: enumValue('COMPLETED') }],
  },
  { role: 'auditor', field: 'residentAccessLog', argumentSets: [{}, { subject: 'api-key-1:caseworker' }, { residentId: 'R0123456789abcdef0123456789abcdef' }] },
  {
    role: 'agency:economy',
    field: 'kurniaApplications',
    argumentSets: [{}, { status: enumValue('approved') }, { kelurahanCode: KELURAHAN }, { year: 2023 }, { kelurahanCode: KELURAHAN, year: 2023 }],
  },
  { role: 'agency:economy', field: 'kurniaLoans', argumentSets: [{}, { kelurahanCode: KELURAHAN }, { year: 2023 }, { kelurahanCode: KELURAHAN, year: 2023 }] },
  { role: 'agency:education', field: 'emasSpots', argumentSets: [{}, { kelurahanCode: KELURAHAN }, { status: enumValue('ACTIVE') }] },
  { role: 'agency:education', field: 'emasClasses', argumentSets: [{}, { kelurahanCode: KELURAHAN }, { year: 2023 }, { level: enumValue('ADULT') }, { kelurahanCode: KELURAHAN, year: 2023 }] },
  { role: 'agency:education', field: 'emasParticipants', argumentSets: [{}, { kelurahanCode: KELURAHAN }] },
  { role: 'agency:education', field: 'emasTutors', argumentSets: [{}, { year: 2023 }] },
  { role: 'agency:environment', field: 'wasteBanks', argumentSets: [{}, { kelurahanCode: KELURAHAN }, { status: enumValue('ACTIVE') }] },
  { role: 'agency:environment', field: 'wasteBankMembers', argumentSets: [{ wasteBankCode: 'BS-0105-001' }] },
  {
    role: 'agency:health',
    field: 'homecareRequests',
    argumentSets: [{}, { status: enumValue('closed') }, { priority: enumValue('urgent') }, { kelurahanCode: KELURAHAN }, { year: 2023 }, { kelurahanCode: KELURAHAN, year: 2023 }],
  },
  { role: 'agency:tax', field: 'taxpayers', argumentSets: [{}, { kelurahanCode: KELURAHAN }, { type: enumValue('BUSINESS') }] },
  {
    role: 'agency:tax',
    field: 'taxReports',
    argumentSets: [{}, { kelurahanCode: KELURAHAN }, { period: '2023-05' }, { status: enumValue('PAID') }, { taxType: enumValue('PBJT') }, { kelurahanCode: KELURAHAN, period: '2023-05' }],
  },
];

interface SentQuery {
  database: string;
  collection: string;
  method: string;
  filter: Document;
  options: Document;
}

let graph: CityGraph;
let client: MongoClient;
let sent: SentQuery[] = [];

beforeAll(async () => {
  graph = await startCityGraph({ gatewayEnv: { GATEWAY_RESPONSE_CACHE_TTL_MS: '0' } });
  client = await MongoClient.connect(graph.mongoUri);
  // The subgraphs run in this process: mongoose tells this hook of every query they send, with its database.
  mongoose.set('debug', function (this: { conn: { name: string } }, collection: string, method: string, filter: Document, options: Document) {
    if (method === 'find' || method === 'countDocuments') sent.push({ database: this.conn.name, collection, method, filter, options: options ?? {} });
  });
}, 300_000);

afterAll(async () => {
  mongoose.set('debug', false);
  await client?.close();
  await graph?.stop();
});

/** What the store would do for one query, as explain tells it. */
async function planOf(query: SentQuery): Promise<string[]> {
  const collection = client.db(query.database).collection(query.collection);
  if (query.method === 'countDocuments') {
    return stagesOf(await collection.aggregate([{ $match: query.filter }, { $group: { _id: 1, n: { $sum: 1 } } }]).explain());
  }
  const { sort, limit, projection } = query.options;
  return stagesOf(await collection.find(query.filter, { sort, limit, projection }).explain());
}

describe('every paged list is served by an index', () => {
  for (const list of PAGED_LISTS) {
    it(`${list.field}, with each of its filters, on the first page and the next`, async () => {
      const unindexed: string[] = [];
      for (const args of list.argumentSets) {
        const document = (after: string | null) => {
          const written = [...Object.entries(args).map(([name, value]) => `${name}: ${literal(value)}`), 'first: 10', `after: ${literal(after)}`];
          return `{ ${list.field}(${written.join(', ')}) { totalCount pageInfo { endCursor hasNextPage } } }`;
        };
        sent = [];
        const first = await graph.query<Record<string, { totalCount: number; pageInfo: { endCursor: string | null } }>>(document(null), {}, list.role);
        expect(first.errors, `${list.field} ${JSON.stringify(args)}`).toBeUndefined();
        const cursor = first.data![list.field].pageInfo.endCursor;
        if (cursor) {
          const next = await graph.query(document(cursor), {}, list.role);
          expect(next.errors, `${list.field} ${JSON.stringify(args)}, next page`).toBeUndefined();
        }
        const queries = sent.filter((query) => !(query.method === 'countDocuments' && Object.keys(query.filter).length === 0));
        expect(queries.length, `${list.field} ${JSON.stringify(args)}: the queries it sent`).toBeGreaterThan(0);
        for (const query of queries) {
          const stages = await planOf(query);
          if (stages.includes('COLLSCAN') || !stages.includes('IXSCAN')) {
            unindexed.push(`${JSON.stringify(args)}: ${query.collection}.${query.method}(${JSON.stringify(query.filter)}) planned ${stages.join(' > ')}`);
          }
        }
      }
      expect(unindexed).toEqual([]);
    });
  }
});

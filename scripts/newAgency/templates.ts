/**
 * The files `npm run new-agency` writes for an agency: the agency contract's shape (see
 * subgraphs/kit/agency.ts), filled with one documented example record the agency can rename, a pillar of
 * one figure, a mutation that is one write unit, sample data, random writes and a test. Everything compiles,
 * composes and passes as written, so the agency developer changes a working agency instead of starting
 * from nothing.
 */
export interface AgencyNames {
  /** The registry name, e.g. `transport`. */
  name: string;
  /** The name with a capital, for types, e.g. `Transport`. */
  type: string;
  port: number;
  /** Who runs it, e.g. "Dinas Perhubungan". */
  agency: string;
}

export function namesOf(name: string, port: number, agency: string): AgencyNames {
  return { name, type: name.charAt(0).toUpperCase() + name.slice(1), port, agency };
}

export function schemaGraphql({ name, type, agency }: AgencyNames): string {
  return `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

"""
The ${name} agency's subgraph (${agency}). Describe the program it runs, its records and who may read them.
"""
type Query {
  "The agency's service records in the order they were recorded, optionally of one kelurahan. Public."
  ${name}Services(
    "Only services in this kelurahan (Kemendagri code, e.g. 35.71.01.1005)."
    kelurahanCode: String
    "Page size, 1 to 100 (default 20)."
    first: Int
    "The endCursor of the previous page."
    after: String
  ): ${type}ServicePage!
}

type Mutation {
  """
  Records one service the agency provided. Role agency:${name} only. Safe to retry: the same idempotencyKey
  returns the first record.
  """
  record${type}Service("What was provided, where and when." input: Record${type}ServiceInput!): ${type}Service!
}

"A service to record."
input Record${type}ServiceInput {
  "Kemendagri code of the kelurahan where the service was provided."
  kelurahanCode: String!
  "When it was provided: an ISO-8601 date-time with its offset, not in the future."
  providedAt: String!
  "A key of 8 to 100 printable characters without spaces, the same on every retry of this request."
  idempotencyKey: String!
}

"One service the agency provided (an example record: rename it after what the agency keeps)."
type ${type}Service {
  "Record id."
  id: ID!
  "Where it was provided."
  kelurahan: Kelurahan!
  "When it was provided (ISO-8601)."
  providedAt: String!
}

"A page of services."
type ${type}ServicePage {
  "The services of this page."
  nodes: [${type}Service!]!
  "Where this page ends."
  pageInfo: PageInfo!
  "Services matching the filter, all pages together."
  totalCount: Int!
}

"One page of a list, and how to fetch the next."
type PageInfo @shareable {
  "Whether another page follows."
  hasNextPage: Boolean!
  "Cursor of the last item of this page; pass it as \`after\` to fetch the next page."
  endCursor: String
}

"The ${name} agency's figures for one place and one year, computed from its records."
type ${type}Indicators {
  "Services provided in the year."
  servicesProvided: Int
}

"A kelurahan of Kota Kediri, as the ${name} agency knows it."
type Kelurahan @key(fields: "code") {
  "Kemendagri code, e.g. 35.71.01.1005."
  code: String!
}

"The whole city's Smart City scorecard for one year; the ${name} agency adds its figures."
type CityScorecard @key(fields: "year") {
  "The calendar year the indicators cover."
  year: Int!
  "The ${name} agency's figures for the whole city."
  ${name}: ${type}Indicators
}

"One kelurahan's Smart City scorecard for one year; the ${name} agency adds its figures."
type KelurahanScorecard @key(fields: "kelurahanCode year") {
  "Kemendagri code of the kelurahan."
  kelurahanCode: String!
  "The calendar year the indicators cover."
  year: Int!
  "The ${name} agency's figures for the kelurahan."
  ${name}: ${type}Indicators
}
`;
}

export function modelsTs({ name, type }: AgencyNames): string {
  return `import { Schema, type Connection } from 'mongoose';
import { addIdempotencyKey } from '../kit/idempotency';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { isKelurahanCode } from '../kit/reference/kelurahan';

/**
 * The ${name} agency's records. Each schema validates what it stores and declares its indexes, so a record
 * written around the mutations (the seed, a migration) obeys the same rules.
 */
const serviceSchema = new Schema(
  {
    kelurahanCode: { type: String, required: true, validate: { validator: isKelurahanCode, message: 'not a Kota Kediri kelurahan code: {VALUE}' } },
    providedAt: { type: Date, required: true },
  },
  { collection: '${name}_services', versionKey: false },
);
addIdempotencyKey(serviceSchema);
// A page of one kelurahan's services, in id order, from an index (see kit/pagination.ts).
serviceSchema.index({ kelurahanCode: 1, _id: 1 });
// The pillar counts a year's services by place.
serviceSchema.index({ providedAt: 1, kelurahanCode: 1 });

export type ServiceRecord = Stored<typeof serviceSchema>;

const MODELS = { Service: ['${type}Service', serviceSchema] } as const;

export type ${type}Models = CompiledModels<typeof MODELS>;

export function create${type}Models(connection: Connection): ${type}Models {
  return compileModels(connection, MODELS);
}
`;
}

export function rulesTs({ name }: AgencyNames): string {
  return `/**
 * The ${name} program's rules as pure functions: tested without a database. Add the program's own rules
 * here (rates, limits, status flows); input checks that every agency shares are the kit's (kit/validate.ts).
 */

/** The earliest date a service of the program can have been provided. */
export const PROGRAM_START = new Date('2024-01-01T00:00:00+07:00');

export function isWithinProgram(providedAt: Date): boolean {
  return providedAt.getTime() >= PROGRAM_START.getTime();
}
`;
}

export function pillarTs({ name, type }: AgencyNames): string {
  return `import { yearRange } from '../kit/calendar';
import { definePillar, figuresByPlace, type Places } from '../kit/pillar';
import type { ${type}Models } from './models';

/**
 * The ${name} agency's figures on the city's scorecard, per kelurahan and for the city, for one year,
 * computed from its records: the source of truth the kit keeps materialised in the read model.
 */
export interface ${type}Figures {
  servicesProvided: number;
}

export function no${type}Figures(): ${type}Figures {
  return { servicesProvided: 0 };
}

async function aggregate(models: ${type}Models, year: number, places: Places) {
  const { start, end } = yearRange(year);
  const where = places === null ? {} : { kelurahanCode: { $in: [...places] } };
  const rows = await models.Service.aggregate<{ _id: string | null; n: number }>([
    { $match: { ...where, providedAt: { $gte: start, $lt: end } } },
    { $group: { _id: places === null ? null : '$kelurahanCode', n: { $sum: 1 } } },
  ]);
  const table = figuresByPlace(no${type}Figures);
  for (const row of rows) table.at(row._id).servicesProvided = row.n;
  return table.figures;
}

export const ${name}Pillar = definePillar({
  field: '${name}',
  typeName: '${type}Indicators',
  version: 1,
  // Services are not people: nothing is withheld. Gate a field with \`gatedBy\` when it counts people.
  people: {},
  empty: no${type}Figures,
  aggregate,
  fields: { servicesProvided: {} },
});
`;
}

export function loadersTs({ name, type }: AgencyNames): string {
  return `import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { oneByField } from '../kit/loaders';
import type { ${type}Models, ServiceRecord } from './models';

/** The ${name} agency's DataLoaders, built fresh for every request: one \`$in\` query per batch. */
export function create${type}Loaders(models: ${type}Models, _identity: Identity) {
  return {
    serviceById: oneByField<ServiceRecord>(models.Service, '_id'),
  };
}

export type ${type}Loaders = ReturnType<typeof create${type}Loaders>;

/** What every resolver and mutation of the ${name} agency receives. */
export type ${type}Context = AgencyContext<${type}Models, ${type}Loaders>;
`;
}

export function mutationsTs({ name, type }: AgencyNames): string {
  return `import { badUserInput } from '../../platform/errors';
import { requireStaff } from '../kit/agency';
import { kediriYear } from '../kit/calendar';
import { requireIdempotencyKey, requireKelurahanCode, requirePastInstant } from '../kit/validate';
import { earlierResult } from '../kit/writes';
import type { ${type}Context } from './loaders';
import type { ServiceRecord } from './models';
import { isWithinProgram, PROGRAM_START } from './rules';

/**
 * The ${name} agency's staff writes: each \`(input, ctx)\`, every argument checked before the write unit, the
 * unit all-or-nothing with the read model's refresh (see kit/writes.ts), and safe to retry.
 */
export interface Record${type}ServiceInput {
  kelurahanCode: string;
  providedAt: string;
  idempotencyKey: string;
}

export async function record${type}Service(input: Record${type}ServiceInput, ctx: ${type}Context): Promise<ServiceRecord> {
  requireStaff(ctx, 'Recording a service');
  const kelurahanCode = requireKelurahanCode(input.kelurahanCode, 'kelurahanCode');
  const providedAt = requirePastInstant(input.providedAt, 'providedAt');
  if (!isWithinProgram(providedAt)) throw badUserInput('providedAt', \`a time from \${PROGRAM_START.toISOString()}, when the program began\`, input.providedAt);
  const idempotencyKey = requireIdempotencyKey(input.idempotencyKey);

  return ctx.transaction(async (unit) => {
    const earlier = await earlierResult<ServiceRecord>(
      ctx.models.Service,
      idempotencyKey,
      (record) => record.kelurahanCode === kelurahanCode && record.providedAt.getTime() === providedAt.getTime(),
    );
    if (earlier) return earlier;
    const [created] = await ctx.models.Service.create([{ kelurahanCode, providedAt, idempotencyKey }]);
    unit.figuresChanged(kelurahanCode, kediriYear(providedAt));
    return created.toObject() as ServiceRecord;
  });
}
`;
}

export function resolversTs({ name, type }: AgencyNames): string {
  return `import { mutation } from '../kit/agency';
import { paginate, type PageArgs } from '../kit/pagination';
import { requireKelurahanCode } from '../kit/validate';
import type { ${type}Context } from './loaders';
import type { ServiceRecord } from './models';
import { record${type}Service } from './mutations';

/**
 * The ${name} subgraph's resolvers: thin. They check access and arguments, then hand over to the loaders
 * and the mutations. The scorecard's figures and the shared entities' references are the kit's.
 */
export const resolvers = {
  Query: {
    ${name}Services(_: unknown, args: PageArgs & { kelurahanCode?: string | null }, ctx: ${type}Context) {
      const filter = args.kelurahanCode == null ? {} : { kelurahanCode: requireKelurahanCode(args.kelurahanCode, 'kelurahanCode') };
      return paginate<ServiceRecord>(ctx.models.Service, filter, args);
    },
  },

  Mutation: {
    record${type}Service: mutation(record${type}Service),
  },

  ${type}Service: {
    id: (record: ServiceRecord) => String(record._id),
    kelurahan: (record: ServiceRecord) => ({ code: record.kelurahanCode }),
    providedAt: (record: ServiceRecord) => record.providedAt.toISOString(),
  },
};
`;
}

export function seedTs({ name, type }: AgencyNames): string {
  return `import { createRandom } from '../kit/random';
import { KELURAHAN } from '../kit/reference/kelurahan';
import { insertSeed } from '../kit/seeding';
import type { ${type}Models } from './models';
import { PROGRAM_START } from './rules';

/** Deterministic sample data: the same services on every machine, spread over the city since the program began. */
export async function seed${type}(models: ${type}Models): Promise<Record<string, number>> {
  const random = createRandom('${name}-sample');
  const span = Date.now() - PROGRAM_START.getTime();
  const services = Array.from({ length: 500 }, (_, index) => ({
    kelurahanCode: random.pick(KELURAHAN).code,
    providedAt: new Date(PROGRAM_START.getTime() + Math.floor(random.next() * span)),
    idempotencyKey: \`seed-${name}-service-\${index}\`,
  }));
  return { services: await insertSeed(models.Service, services) };
}
`;
}

export function indexTs({ name, type, agency }: AgencyNames): string {
  return `import { defineAgency } from '../kit/agency';
import { create${type}Loaders } from './loaders';
import { create${type}Models } from './models';
import { ${name}Pillar } from './pillar';
import { resolvers } from './resolvers';
import { seed${type} } from './seed';

/** The ${name} agency's subgraph (${agency}). */
export const ${name} = defineAgency({
  name: '${name}',
  resolvers,
  models: create${type}Models,
  loaders: create${type}Loaders,
  pillar: ${name}Pillar,
  seed: seed${type},
});
`;
}

export function mainTs({ name }: AgencyNames): string {
  return `import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { ${name} } from './index';

runMain(() => runSubgraph(${name}));
`;
}

export function sampleWritesTs({ name, type }: AgencyNames): string {
  return `import { accepted, type RandomWrite } from '../kit/testing';
import { KELURAHAN } from '../kit/reference/kelurahan';
import type { ${type}Models } from './models';

/** One random valid write of the ${name} agency, for the read model's consistency tests. */
const RECORD = 'mutation($input: Record${type}ServiceInput!) { record${type}Service(input: $input) { id } }';

export const randomWrites: RandomWrite<${type}Models> = async (random, { query }) => {
  const kelurahanCode = random.pick(KELURAHAN).code;
  const providedAt = new Date(Date.now() - random.int(0, 700) * 86_400_000).toISOString();
  const input = { kelurahanCode, providedAt, idempotencyKey: \`random-${name}-\${random.int(0, 1e9)}\` };
  return accepted(await query(RECORD, { input }), \`recorded a service in \${kelurahanCode}\`);
};
`;
}

export function testTs({ name, type }: AgencyNames): string {
  return `import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../kit/random';
import { startTestSubgraph, type TestSubgraph } from '../kit/testing';
import { ${name} } from './index';
import type { ${type}Models } from './models';
import { ${name}Pillar } from './pillar';
import { randomWrites } from './sampleWrites';

/** The ${name} subgraph over real HTTP against the embedded store, seeded with its sample data. */
let graph: TestSubgraph<${type}Models>;

beforeAll(async () => {
  graph = await startTestSubgraph(${name}, { seed: true });
});

afterAll(async () => {
  await graph?.stop();
});

const RECORD = 'mutation($input: Record${type}ServiceInput!) { record${type}Service(input: $input) { id providedAt kelurahan { code } } }';
const input = { kelurahanCode: '35.71.01.1005', providedAt: '2024-06-01T09:00:00+07:00', idempotencyKey: 'test-service-0001' };

describe('the ${name} agency', () => {
  it('lists its services a page at a time', async () => {
    const result = await graph.query('{ ${name}Services(first: 5) { totalCount nodes { id kelurahan { code } } pageInfo { hasNextPage } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data.${name}Services.totalCount).toBe(500);
    expect(result.data.${name}Services.nodes).toHaveLength(5);
  });

  it('records a service for its staff only, and answers a retry with the first record', async () => {
    expect((await graph.query(RECORD, { input }, 'dashboard')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const first = await graph.query(RECORD, { input }, 'agency:${name}');
    const again = await graph.query(RECORD, { input }, 'agency:${name}');
    expect(first.errors).toBeUndefined();
    expect(again.data.record${type}Service).toEqual(first.data.record${type}Service);
    const reused = await graph.query(RECORD, { input: { ...input, kelurahanCode: '35.71.02.1001' } }, 'agency:${name}');
    expect(reused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    const malformed = await graph.query(RECORD, { input: { ...input, kelurahanCode: '35.71.09.9999', idempotencyKey: 'test-service-0002' } }, 'agency:${name}');
    expect(malformed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kelurahanCode' });
  });

  it('keeps its read model equal to a full re-aggregation after random writes', async () => {
    const random = createRandom('${name}-read-model');
    const staff = { query: (q: string, v?: Record<string, unknown>) => graph.query(q, v, 'agency:${name}'), models: graph.models };
    for (let i = 0; i < 20; i += 1) await randomWrites(random, staff);
    expect(await ${name}Pillar.check(graph.models)).toEqual([]);
  }, 120_000);
});
`;
}

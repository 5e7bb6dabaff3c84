import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type DataLoader from 'dataloader';
import { parse, type DocumentNode } from 'graphql';
import type { Connection, Model } from 'mongoose';
import type { HttpRequest, HttpResponse } from '../../platform/http';
import type { Identity } from '../../platform/identity';
import { projectPath } from '../../platform/paths';
import { subgraphEntry } from '../registry';
import { requireOwningAgency } from './access';
import type { Pillar } from './pillar';
import type { ReadModelModels } from './readModel';
import type { WriteUnit, WriteUnitOptions } from './writes';

/**
 * The agency contract: what an agency writes to plug into the graph, and what every resolver and mutation
 * receives. An agency folder holds the same files with the same roles everywhere:
 *
 *   schema.graphql  the agency's Federation 2 SDL, documented on every type and field
 *   models.ts       mongoose schemas with their validation and indexes
 *   rules.ts        the program's rules as pure functions (rates, schedules, status flows)
 *   pillar.ts       its Smart City pillar: the figures' aggregation from raw records (definePillar)
 *   loaders.ts      DataLoaders, built per request
 *   mutations.ts    staff writes, each `(input, ctx)` and one write unit (or a mutations/ folder by family)
 *   resolvers.ts    thin: check access and arguments, call loaders, mutations and the pillar
 *   seed.ts         deterministic sample data
 *   index.ts        `defineAgency({...})`
 *
 * Everything else (HTTP, identity, database, transactions, the read model, health, shutdown) is the kit's.
 */
export type ModelMap = Record<string, Model<any>>;

export interface Secrets {
  residentIdSecret: string;
  /** The key of the audit log's hash chain; only the city subgraph, which owns the log, holds it. */
  auditSecret?: string;
}

/** What every resolver and mutation of an agency receives as `ctx`. */
export interface AgencyContext<Models extends ModelMap = ModelMap, Loaders = unknown> {
  /** The agency's name, e.g. `tax` (its role is `agency:tax`). */
  agency: string;
  /** Who is calling, as the gateway signed it. */
  identity: Identity;
  models: Models & ReadModelModels;
  /** Built fresh for every request, so batching and caching never leak between callers. */
  loaders: Loaders;
  /** The pillar's figures per `figuresKey(year, place)`, batched: one query per tick. */
  figures: DataLoader<string, any>;
  secrets: Secrets;
  /**
   * Runs a write as one all-or-nothing unit (a transaction with the read model's refresh); see writes.ts.
   * Validate the input before calling it; inside it, await each operation in turn.
   */
  transaction<T>(work: (unit: WriteUnit) => Promise<T>, options?: WriteUnitOptions): Promise<T>;
}

export interface AgencyDefinition<Models extends ModelMap = ModelMap, Loaders = unknown> {
  /** The registry name: folder, database `kediri_<name>`, role `agency:<name>`. */
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<AgencyContext<Models, Loaders>>;
  models(connection: Connection): Models;
  loaders(models: Models & ReadModelModels, identity: Identity): Loaders;
  /** The Smart City pillar the agency reports on; the kit resolves its scorecard fields and keeps its read model. */
  pillar?: Pillar<Models, any>;
  /**
   * HTTP routes beside /graphql, by path, for the gateway's own calls (the city's audit log). The kit lets a
   * request through only with the gateway's identity signed for this subgraph, this path and this body.
   */
  routes?: Record<string, (request: HttpRequest, ctx: AgencyContext<Models, Loaders>) => Promise<HttpResponse>>;
  /** Secrets beyond the platform's that this subgraph cannot start without. */
  requiredSecrets?: (keyof Secrets)[];
  /** Writes the sample data into an empty database; returns how many records of each kind it wrote. */
  seed?(models: Models, secrets: Secrets): Promise<Record<string, number>>;
}

/** An agency's definition; its SDL is read from `schema.graphql` in its registry folder. */
export function defineAgency<Models extends ModelMap, Loaders>(
  definition: Omit<AgencyDefinition<Models, Loaders>, 'typeDefs'>,
): AgencyDefinition<Models, Loaders> {
  return { ...definition, typeDefs: loadAgencySchema(definition.name) };
}

/**
 * Reads a registered agency's schema.graphql. The path comes from the registry and the project root, so it
 * holds whether the code runs from its TypeScript source or from a compiled bundle.
 */
export function loadAgencySchema(name: string): DocumentNode {
  const path = projectPath(subgraphEntry(name).dir, 'schema.graphql');
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${subgraphEntry(name).dir}/schema.graphql could not be read as GraphQL SDL: ${(error as Error).message}`);
  }
}

/** Refuses unless the caller is the agency's own staff (role `agency:<name>`); `what` names the action. */
export function requireStaff(ctx: Pick<AgencyContext, 'agency' | 'identity'>, what: string): void {
  requireOwningAgency(ctx.identity, ctx.agency, what);
}

/**
 * A mutation's resolver from its function. Every mutation function takes `(input, ctx)`: its GraphQL
 * `input` argument when it has one, otherwise its arguments as an object (e.g. `{ id }`).
 */
export function mutation<Input, Result, Ctx>(run: (input: Input, ctx: Ctx) => Promise<Result>) {
  return (_parent: unknown, args: Record<string, unknown>, ctx: Ctx): Promise<Result> =>
    run(('input' in args ? args.input : args) as Input, ctx);
}

import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { MongoClient } from 'mongodb';
import { AUDIT_COLLECTION, AUDIT_DATABASE, type ResidentAccessRecord } from '../platform/audit';
import type { GatewayContext } from './datasource';

/**
 * Every cross-agency read of one resident leaves an audit record: who, when, for what stated purpose,
 * which resident, which agencies answered (UU PDP: cross-agency views need a purpose and a trail). Only
 * the gateway sees all of that, so it writes the record, after the subgraphs answered and before the
 * answer leaves. If the record cannot be written the answer is withheld: no trail, no data.
 */
export interface AuditSink {
  append(record: ResidentAccessRecord): Promise<void>;
  close(): Promise<void>;
}

export async function mongoAuditSink(uri: string): Promise<AuditSink> {
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5_000 });
  const collection = client.db(AUDIT_DATABASE).collection<ResidentAccessRecord>(AUDIT_COLLECTION);
  await collection.createIndex({ residentId: 1, at: -1 });
  return {
    async append(record) {
      await collection.insertOne({ ...record });
    },
    close: () => client.close(),
  };
}

/** The services a query plan fetches from, whatever the shape of the plan. */
export function plannedServices(plan: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(plan)) {
    for (const item of plan) plannedServices(item, found);
  } else if (plan && typeof plan === 'object') {
    const node = plan as Record<string, unknown>;
    if (node.kind === 'Fetch' && typeof node.serviceName === 'string') found.add(node.serviceName);
    for (const value of Object.values(node)) if (value && typeof value === 'object') plannedServices(value, found);
  }
  return found;
}

interface ResidentRead {
  residentId: string;
  purpose: string;
}

/**
 * The `resident(id, purpose)` selections at the root of an operation, with their variables applied,
 * wherever they stand: under an alias, in an inline fragment or in a named fragment spread at the root.
 * Missing one would let a read leave no trail.
 */
export function residentReads(
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  document?: DocumentNode,
): ResidentRead[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document?.definitions ?? []) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const reads: ResidentRead[] = [];
  const visit = (selectionSet: SelectionSetNode, seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) visit(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      } else if (selection.name.value === 'resident') {
        const args = Object.fromEntries(
          (selection.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value, variables)]),
        );
        reads.push({ residentId: String(args.id ?? ''), purpose: String(args.purpose ?? '') });
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return reads;
}

export type AuditedContext = GatewayContext & { plannedServices?: Set<string> };

/** Agencies are every subgraph but the city's own reference subgraph, which holds no resident data. */
const NOT_AN_AGENCY = new Set(['city']);

export function residentAuditPlugin(
  sink: AuditSink | undefined,
  log: (line: string) => void = () => {},
): ApolloServerPlugin<AuditedContext> {
  return {
    async requestDidStart() {
      let reads: ResidentRead[] = [];
      return {
        async didResolveOperation({ operation, request, document }) {
          if (!operation) return;
          reads = residentReads(operation, request.variables ?? {}, document);
          if (reads.length > 0 && !sink) {
            throw new GraphQLError('Reading a resident needs the audit log, and this gateway has none configured (set MONGODB_URI).', {
              extensions: { code: 'AUDIT_UNAVAILABLE' },
            });
          }
        },
        async willSendResponse({ response, contextValue, operationName }) {
          if (reads.length === 0 || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const failed = new Set(
            (result.errors ?? []).map((error) => error.extensions?.serviceName).filter((name): name is string => typeof name === 'string'),
          );
          const asked = [...(contextValue.plannedServices ?? [])].filter((name) => !NOT_AN_AGENCY.has(name)).sort();
          const answered = asked.filter((name) => !failed.has(name));
          try {
            for (const read of reads) {
              await sink!.append({
                at: new Date(),
                subject: contextValue.identity.subject,
                role: contextValue.identity.role,
                purpose: read.purpose,
                residentId: read.residentId,
                operationName: operationName ?? null,
                agenciesAsked: asked,
                agenciesAnswered: answered,
                outcome: answered.length > 0 && !failed.has('city') ? 'answered' : 'refused',
              });
            }
          } catch (error) {
            // The caller learns that the trail failed, not why: the cause may name internal hosts.
            log(`resident read withheld, audit record not written: ${(error as Error).message}`);
            result.data = null;
            result.errors = [
              new GraphQLError('The resident read was withheld because its audit record could not be written.', {
                extensions: { code: 'AUDIT_UNAVAILABLE' },
              }),
            ];
          }
        },
      };
    },
  };
}

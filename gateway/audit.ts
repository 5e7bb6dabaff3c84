import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getDirectiveValues,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type InlineFragmentNode,
  type FragmentSpreadNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { AUDIT_APPEND_PATH, isResidentId, mayReadResident, purposeProblem, type AppendResult, type AuditEntry } from '../platform/audit';
import { IDENTITY_HEADER, signIdentity } from '../platform/identity';
import type { GatewayContext } from './datasource';

/**
 * Every cross-agency read of one resident leaves an audit trail (UU PDP: cross-agency views need a purpose
 * and a trail). Before any agency is asked, the gateway appends the read to the city's audit log and signs
 * a grant naming the entry; agencies serve a resident only under such a grant. Before the answer leaves,
 * it appends the outcome. If either cannot be written the answer is withheld: no trail, no data.
 *
 * Which reads an operation makes is decided as the executor decides it: variables and their defaults are
 * coerced by graphql-js, and @skip/@include are applied, so what is recorded is what is read.
 */
export interface Auditor {
  append(entries: AuditEntry[]): Promise<AppendResult>;
}

/** The city subgraph's audit log, over HTTP, with the gateway's own signed identity for that one route. */
export function cityAuditor(cityGraphqlUrl: () => string | undefined, identitySecret: string, timeoutMs = 3_000): Auditor {
  return {
    async append(entries) {
      const base = cityGraphqlUrl();
      if (!base) throw new Error('the city subgraph has no URL');
      const body = JSON.stringify({ entries });
      const header = signIdentity({ subject: 'gateway', role: 'auditor' }, identitySecret, { audience: `city:${AUDIT_APPEND_PATH}`, body });
      const response = await fetch(base.replace(/\/graphql$/, AUDIT_APPEND_PATH), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: header },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`the audit log answered HTTP ${response.status}`);
      const result = (await response.json()) as AppendResult;
      if (!Array.isArray(result.entries) || result.entries.length !== entries.length) throw new Error('the audit log answered without the entries');
      return result;
    },
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

export interface ResidentRead {
  residentId: string;
  purpose: string;
}

function included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode, variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/**
 * The `resident(id, purpose)` fields the executor will run at the root of an operation, wherever they
 * stand (under an alias, in an inline fragment, in a named fragment), with their arguments as the executor
 * will see them. Each fragment is visited once, as the executor collects fields.
 */
export function residentReads(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown>,
): ResidentRead[] {
  const field = schema.getQueryType()?.getFields().resident;
  if (!field || operation.operation !== 'query') return [];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  if (coerced.errors) return []; // the executor refuses the operation itself; nothing is read
  const variables = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const reads: ResidentRead[] = [];
  const visited = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection, variables)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !visited.has(fragment.name.value)) {
          visited.add(fragment.name.value);
          visit(fragment.selectionSet);
        }
      } else if (selection.name.value === 'resident') {
        const args = getArgumentValues(field, selection, variables);
        reads.push({ residentId: String(args.id), purpose: String(args.purpose) });
      }
    }
  };
  visit(operation.selectionSet);
  return reads;
}

export interface AuditState extends GatewayContext {
  plannedServices?: Set<string>;
  /** The audited reads of this request, with the ids of their read entries. */
  audited?: { read: ResidentRead; id: string }[];
}

/** Agencies are every subgraph but the city's own reference subgraph, which holds no resident data. */
const NOT_AN_AGENCY = new Set(['city']);

const AUDIT_UNAVAILABLE = 'The resident read was withheld because its audit record could not be written.';

function auditUnavailable(): GraphQLError {
  return new GraphQLError(AUDIT_UNAVAILABLE, { extensions: { code: 'AUDIT_UNAVAILABLE', http: { status: 503 } } });
}

export function residentAuditPlugin(auditor: Auditor, log: (line: string) => void = () => {}): ApolloServerPlugin<AuditState> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, document, operation, request, schema, contextValue, operationName }) {
          // Only a document that names the field can read a resident: most requests stop here for free.
          if (!operation || !source.includes('resident')) return;
          const reads = residentReads(schema, document, operation, request.variables ?? {});
          if (reads.length === 0) return;
          const { identity } = contextValue;
          if (!mayReadResident(identity.role)) {
            throw new GraphQLError(
              `Reading a resident across agencies requires the "caseworker" role or an agency role (caller has role "${identity.role}").`,
              { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
            );
          }
          for (const read of reads) {
            if (!isResidentId(read.residentId)) {
              throw new GraphQLError(`Invalid id: expected a resident id ("R" and 32 hex digits), received ${JSON.stringify(String(read.residentId).slice(0, 40))}.`, {
                extensions: { code: 'BAD_USER_INPUT', field: 'id', http: { status: 400 } },
              });
            }
            const problem = purposeProblem(read.purpose);
            if (problem) {
              throw new GraphQLError(`Invalid purpose: expected ${problem}.`, { extensions: { code: 'BAD_USER_INPUT', field: 'purpose', http: { status: 400 } } });
            }
          }
          let appended: AppendResult;
          try {
            appended = await auditor.append(
              reads.map((read) => ({ kind: 'read', subject: identity.subject, role: identity.role, purpose: read.purpose, residentId: read.residentId, operationName: operationName ?? null })),
            );
          } catch (error) {
            // The caller learns that the trail failed, not why: the cause may name internal hosts.
            log(`resident read refused, audit entry not written: ${(error as Error).message}`);
            throw auditUnavailable();
          }
          contextValue.audited = reads.map((read, index) => ({ read, id: appended.entries[index].id }));
          contextValue.grant = { reads: contextValue.audited.map(({ read, id }) => ({ residentId: read.residentId, purpose: read.purpose, auditId: id })) };
        },

        async willSendResponse({ response, contextValue }) {
          const audited = contextValue.audited;
          if (!audited || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const failed = new Set(
            (result.errors ?? []).map((error) => error.extensions?.serviceName).filter((name): name is string => typeof name === 'string'),
          );
          const asked = [...(contextValue.plannedServices ?? [])].filter((name) => !NOT_AN_AGENCY.has(name)).sort();
          const answered = asked.filter((name) => !failed.has(name));
          const outcome = answered.length > 0 && !failed.has('city') ? 'answered' : 'refused';
          try {
            await auditor.append(audited.map(({ id }) => ({ kind: 'outcome', readId: id, agenciesAsked: asked, agenciesAnswered: answered, outcome })));
          } catch (error) {
            log(`resident read withheld, outcome entry not written: ${(error as Error).message}`);
            // The answer is formatted by now: it is replaced by the refusal as a caller sees it, with its status.
            result.data = null;
            result.errors = [{ message: AUDIT_UNAVAILABLE, extensions: { code: 'AUDIT_UNAVAILABLE' } }];
            response.http.status = 503;
          }
        },
      };
    },
  };
}

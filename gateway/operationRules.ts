import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FragmentDefinitionNode } from 'graphql';
import type { Role } from '../platform/identity';
import type { GatewayContext } from './datasource';
import { rootFieldsOf } from './limits';

/**
 * What kinds of operation the gateway runs, decided before any subgraph is asked:
 * - an operationName that names no operation of the document is the caller's mistake, a 400;
 * - subscriptions are not served (the graph has none, and the gateway no transport for them): a clear 400,
 *   not the executor's 500;
 * - introspection (`__schema`, `__type`) only for the roles allowed it; in production none unless a
 *   setting says so, so the schema is not spelled out to whoever asks.
 */
function refuse(code: string, status: number, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

export function operationRulesPlugin(introspectionRoles: ReadonlySet<Role> | 'all'): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue, request }) {
          if (!operation) {
            // Apollo leaves this to the executor, which behind a gateway answers it with a 500.
            const named = request.operationName;
            throw refuse(
              'OPERATION_RESOLUTION_FAILURE',
              400,
              typeof named === 'string' ? `The document has no operation named "${named}".` : 'The document holds several operations: name the one to run in operationName.',
            );
          }
          if (operation.operation === 'subscription') {
            throw refuse('OPERATION_NOT_SUPPORTED', 400, 'Subscriptions are not served by this gateway; ask with a query.');
          }
          if (introspectionRoles === 'all' || introspectionRoles.has(contextValue.identity.role)) return;
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
          }
          const introspects = rootFieldsOf(operation.selectionSet, fragments).some((field) => field.name.value === '__schema' || field.name.value === '__type');
          if (introspects) {
            throw refuse('INTROSPECTION_DISABLED', 403, `Introspection is not allowed for role "${contextValue.identity.role}" on this gateway.`);
          }
        },
      };
    },
  };
}

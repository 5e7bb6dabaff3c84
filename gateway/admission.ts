import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';

type Hook = 'didResolveOperation' | 'willSendResponse';
const HOOKS: readonly string[] = ['didResolveOperation', 'willSendResponse'] satisfies Hook[];

/**
 * Apollo runs every plugin's didResolveOperation side by side, so a check that refuses an operation (its rules,
 * its limits) cannot stop another plugin's work on it (the audit's read entry, written before any agency is
 * asked): a refused operation would leave a record of a read that never happened. These plugins' hooks run one
 * after another instead, in the order given, each only once the ones before it let the operation through.
 *
 * Only the two hooks the admission plugins have are passed on; a plugin given here with another hook is a
 * mistake this refuses at its first request, rather than a hook silently never called.
 */
export function inOrder<C extends object>(...plugins: ApolloServerPlugin<C>[]): ApolloServerPlugin<C> {
  return {
    async requestDidStart(requestContext) {
      const listeners: GraphQLRequestListener<C>[] = [];
      for (const plugin of plugins) {
        const listener = await plugin.requestDidStart?.(requestContext);
        if (!listener) continue;
        const unsupported = Object.keys(listener).filter((hook) => !HOOKS.includes(hook));
        if (unsupported.length > 0) throw new Error(`inOrder passes on ${HOOKS.join(' and ')} only; a plugin has ${unsupported.join(', ')}.`);
        listeners.push(listener);
      }
      return {
        async didResolveOperation(context) {
          for (const listener of listeners) await listener.didResolveOperation?.(context);
        },
        async willSendResponse(context) {
          for (const listener of listeners) await listener.willSendResponse?.(context);
        },
      };
    },
  };
}

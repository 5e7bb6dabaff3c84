import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../../platform/identity';

/**
 * What lets another router than ours reach the city's subgraphs: each of them refuses a request without the
 * `x-kediri-identity` header, an identity signed (HMAC-SHA256, IDENTITY_SECRET) for exactly that subgraph and
 * exactly that request body, a few seconds old at most (platform/identity.ts). This Hive Gateway plugin signs
 * every subgraph fetch as our gateway's SignedDataSource does, at the last moment, over the body as it will be
 * sent. It signs the identity `identityOf` gives for the request; a test passes the public identity, a real
 * deployment would authenticate the caller first (API key or JWT, as gateway/authenticate.ts does).
 */
export interface HiveIdentityOptions {
  identitySecret: string;
  identityOf(context: unknown): Identity;
}

export function hiveIdentitySigning(options: HiveIdentityOptions): GatewayPlugin {
  return {
    onFetch({ executionRequest, options: init, setOptions, context, url }) {
      // Only subgraph fetches carry an execution request; nothing else of the gateway's reaches a subgraph.
      if (!executionRequest) return;
      const audience = executionRequest.subgraphName;
      if (!audience) throw new Error(`Expected the name of the subgraph a fetch to ${url} is for, to sign the identity for it; Hive Gateway gave none.`);
      if (typeof init.body !== 'string') {
        throw new Error(`Expected the body of the fetch to subgraph ${audience} as a string, to sign it; received ${init.body === undefined ? 'none' : typeof init.body}.`);
      }
      const header = signIdentity(options.identityOf(context), options.identitySecret, { audience, body: init.body });
      const headers = new Headers(init.headers as HeadersInit | undefined);
      headers.set(IDENTITY_HEADER, header);
      setOptions({ ...init, headers: Object.fromEntries(headers) });
    },
  };
}

import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { requireSecret } from '../platform/config';
import { loadDevelopmentEnv } from '../platform/env';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity } from '../platform/identity';

/**
 * The yardstick: a stock Apollo gateway written the way Apollo's documentation shows it, over the same
 * committed supergraph and the same subgraphs as ours. It adds exactly one thing, the signed identity
 * header the subgraphs require, always for the public role. No authentication, no limits, no audit, no
 * caching: whatever our gateway costs beyond this is our own doing.
 *
 * Settings: SUPERGRAPH_PATH, SUBGRAPH_URL_<NAME> (as our gateway reads them), PORT (0 = a free port),
 * HOST, IDENTITY_SECRET (from .env/.env.example in development, as every process of the project reads it).
 */
loadDevelopmentEnv();
const identitySecret = requireSecret(process.env, 'IDENTITY_SECRET');

/**
 * The only code of ours in this gateway: the header a subgraph needs to accept a request. Kept in one
 * function because the identity protocol is about to bind the subgraph (`audience`) and the exact request
 * body too; `body()` gives that body (what RemoteGraphQLDataSource is about to send), computed only when a
 * protocol signs it.
 */
function signedIdentityHeader(audience: string, body: () => string): string {
  return signIdentity(PUBLIC_IDENTITY, identitySecret, { audience, body: body() });
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH || 'schema/supergraph.graphql', 'utf8'),
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource({
      url: process.env[`SUBGRAPH_URL_${name.toUpperCase()}`] || url,
      willSendRequest({ request }) {
        // RemoteGraphQLDataSource sends JSON.stringify of the request without its `http` part.
        const { http, ...sent } = request;
        http?.headers.set(IDENTITY_HEADER, signedIdentityHeader(name, () => JSON.stringify(sent)));
      },
    }),
});

// Stack traces in error answers are Apollo's development default (NODE_ENV unset). Ours never sends them,
// and the public role's answers carry one SUPPRESSED_SMALL_COUNT error per withheld figure: with traces the
// stock answers of W1 grow from ~170 KB to ~550 KB, and the comparison would measure serialising them.
const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host: process.env.HOST || '127.0.0.1' },
});
console.log(`[stock-gateway] ready at ${url}`);
